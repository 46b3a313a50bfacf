package dev.peerid.linux.ima;

import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.file.Path;

/** Verifies one file and prints the status and the heap limit; run by {@link LargeFileTest} in a small heap. */
public final class LargeFileMain {
  private LargeFileMain() {}

  public static void main(String[] args) throws Exception {
    TrustStore trust = TrustStore.builder().trust("vendor", Path.of(args[1])).build();
    var result = new ImaVerifier().verify(ExecutableFile.of(Path.of(args[0])),
        new VerificationContext(trust, VerificationContext.DEFAULT_MAX_FILE_SIZE, true));
    System.out.println("status=" + result.signature().status().id() + " maxHeapMiB="
        + (Runtime.getRuntime().maxMemory() >> 20) + " digest=" + result.signature().digest().orElseThrow()
        + " sha256=" + result.sha256().orElseThrow().hex());
  }
}
