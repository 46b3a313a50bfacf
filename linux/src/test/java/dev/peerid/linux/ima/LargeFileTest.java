package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 2 GiB signed file verifies in a JVM limited to a 64 MiB heap: hashing streams. */
class LargeFileTest {
  @TempDir
  Path dir;

  @Test
  void twoGibFileVerifiesIn64MibHeap() throws Exception {
    Tools.require("evmctl", "openssl", "setfattr");
    Tools.requireSecurityXattrs(dir);
    TestKeys.Key key = TestKeys.rsa(dir, "vendor", TestKeys.Ski.DEFAULT);
    Path file = dir.resolve("big");
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      // sparse: 2 GiB of length, a few real bytes, next to no disk
      raf.setLength(2L << 30);
      raf.seek(1L << 30);
      raf.write("peerid".getBytes());
      raf.seek((2L << 30) - 1);
      raf.write(1);
    }
    Tools.ok(dir, "evmctl", "ima_sign", "-k", key.privatePem().toString(), "-a", "sha256", file.toString());
    String sha256 = Tools.ok(dir, "openssl", "dgst", "-sha256", "-r", file.toString()).substring(0, 64);

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String out = Tools.ok(dir, java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        LargeFileMain.class.getName(), file.toString(), key.certificateDer().toString());

    assertTrue(out.contains("status=valid"), out);
    assertTrue(out.contains("maxHeapMiB=6"), out);
    assertTrue(out.contains("digest=SHA-256:" + sha256), out);
    assertTrue(out.contains("sha256=" + sha256), out);
  }
}
