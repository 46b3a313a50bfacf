package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signer refuses what it cannot sign properly, with a message a person can act on. */
class ImaSignerTest {
  @TempDir
  static Path dir;

  static TestKeys.Key rsa;
  static TestKeys.Key ec;

  @BeforeAll
  static void keys() throws IOException {
    Tools.require("openssl");
    rsa = TestKeys.rsa(dir, "rsa", TestKeys.Ski.DEFAULT);
    ec = TestKeys.ec(dir, "ec", "secp384r1");
  }

  @Test
  void encryptedKeyIsRefused() throws Exception {
    Path encrypted = dir.resolve("encrypted.pem");
    Tools.ok(dir, "openssl", "pkey", "-in", rsa.privatePem().toString(), "-aes256", "-passout", "pass:secret",
        "-out", encrypted.toString());
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ImaSigner.fromPem(encrypted, null, ImaHashAlgorithm.SHA256));
    assertTrue(e.getMessage().contains("encrypted"), e.getMessage());
  }

  @Test
  void certificateOfAnotherKeyIsRefused() {
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ImaSigner.fromPem(rsa.privatePem(), ec.certificateDer(), ImaHashAlgorithm.SHA256));
    assertTrue(e.getMessage().contains("does not belong to the private key"), e.getMessage());
  }

  @Test
  void certificateIsNotAKey() {
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ImaSigner.fromPem(Path.of(rsa.certificateDer().toString()), null, ImaHashAlgorithm.SHA256));
    assertTrue(e.getMessage().contains("private key"), e.getMessage());
  }

  @Test
  void weakOrUnavailableHashIsRefused() {
    assertThrows(GeneralSecurityException.class, () -> ImaSigner.fromPem(ec.privatePem(), null, ImaHashAlgorithm.MD5));
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> ImaSigner.fromPem(ec.privatePem(), null, ImaHashAlgorithm.STREEBOG256));
    assertTrue(e.getMessage().contains("streebog256"), e.getMessage());
  }

  @Test
  void sha3SignaturesVerify() throws Exception {
    for (ImaHashAlgorithm a : new ImaHashAlgorithm[] {ImaHashAlgorithm.SHA3_256, ImaHashAlgorithm.SHA3_512,
        ImaHashAlgorithm.SHA224}) {
      for (TestKeys.Key key : new TestKeys.Key[] {rsa, ec}) {
        Path file = Files.write(dir.resolve("sha3-" + a + key.name()), new byte[] {1, 2, 3, (byte) a.id()});
        ImaSigner.fromPem(key.privatePem(), key.certificateDer(), a).sign(file, ImaSigner.Storage.SIDECAR);
        TrustStore trust = TrustStore.builder().trust("k", key.certificate()).build();
        var sig = EvmctlInteropTest.verify(file, trust);
        assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
        assertEquals(a.kernelName(), sig.attribute("hashAlgorithm").orElseThrow());
      }
    }
  }

  @Test
  void xattrWriteFailureIsAnIOExceptionWithHint() throws Exception {
    NativeFiles refusing = new NativeFiles() {
      @Override
      public Optional<byte[]> get(Path file, String name) {
        return Optional.empty();
      }

      @Override
      public void set(Path file, String name, byte[] value) throws IOException {
        throw new IOException("permission denied");
      }

      @Override
      public Optional<byte[]> readSmall(Path file, int max) {
        return Optional.empty();
      }
    };
    Path file = Files.write(dir.resolve("nope"), new byte[] {1});
    ImaSigner signer = ImaSigner.fromPem(ec.privatePem(), null, ImaHashAlgorithm.SHA256).withNativeFiles(refusing);
    assertThrows(IOException.class, () -> signer.sign(file, ImaSigner.Storage.XATTR));
    assertEquals(Path.of(file + ".sig"), signer.sign(file, ImaSigner.Storage.SIDECAR));
  }

  @Test
  void xattrOfAFileSystemWithoutThemIsAbsent() throws Exception {
    assertTrue(NativeFiles.system().get(Path.of("/proc/self/status"), "security.ima").isEmpty());
    assertThrows(IOException.class, () -> NativeFiles.system().get(dir.resolve("missing"), "security.ima"));
  }
}
