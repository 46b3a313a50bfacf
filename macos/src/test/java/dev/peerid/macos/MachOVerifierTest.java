package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachOVerifierTest {
  @TempDir Path tmp;

  private CodeSignature verify(String resource, TrustStore trust) throws Exception {
    Path file = MachOSamples.copy(resource, tmp);
    return new MachOVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  @Test
  void developerIdJavaFxChainsToAppleButIsUntrustedWithoutATrustEntry() throws Exception {
    CodeSignature sig = verify(MachOSamples.JAVAFX_GLASS, TrustStore.empty());
    System.out.println(sig + " " + sig.attributes());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertEquals("apple-generic", sig.attribute("appleAnchor").orElse(null));
    assertEquals("S7ZR395D8U", sig.signer().flatMap(s -> s.teamId()).orElse(null));
    assertEquals("org.openjfx.libglass", sig.signer().flatMap(s -> s.identifier()).orElse(null));
    assertEquals("true", sig.attribute("hardenedRuntime").orElse(null));
    assertEquals("false", sig.attribute("adhoc").orElse(null));
  }

  @Test
  void adhocNettyHasBothCodeDirectoriesChecked() throws Exception {
    CodeSignature sig = verify(MachOSamples.NETTY_KQUEUE, TrustStore.empty());
    System.out.println(sig + " " + sig.attributes());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertEquals("ad-hoc signature: no signer", sig.reasons().get(0));
    assertEquals("sha1,sha256", sig.attribute("codeDirectories").orElse(null));
    assertEquals("true", sig.attribute("linkerSigned").orElse(null));
    assertFalse(sig.attribute("appleAnchor").isPresent());
    assertTrue(sig.signer().isEmpty());
  }

  @Test
  void swt() throws Exception {
    CodeSignature sig = verify(MachOSamples.SWT_PI, TrustStore.empty());
    System.out.println(sig + " " + sig.attributes());
    CodeSignature jna = verify(MachOSamples.JNA_DISPATCH, TrustStore.empty());
    System.out.println(jna + " " + jna.attributes());
  }
}
