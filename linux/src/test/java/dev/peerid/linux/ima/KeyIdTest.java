package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key ids: both conventions, and collisions (32-bit ids are not unique). */
class KeyIdTest {
  @TempDir
  static Path dir;

  static TestKeys.Key first;
  static TestKeys.Key second;
  static TestKeys.Key vendor;
  static TestKeys.Key stranger;

  @BeforeAll
  static void keys() throws IOException {
    Tools.require("evmctl", "openssl", "setfattr");
    Tools.requireSecurityXattrs(dir);
    // Two different keys whose certificates' SKIs end in the same 4 bytes: the same kernel key id.
    first = TestKeys.rsaWithSki(dir, "first", "1111111111111111deadbeef");
    second = TestKeys.rsaWithSki(dir, "second", "2222222222222222deadbeef");
    vendor = TestKeys.rsa(dir, "vendor", TestKeys.Ski.DEFAULT);
    stranger = TestKeys.rsa(dir, "stranger", TestKeys.Ski.DEFAULT);
  }

  @Test
  void publicKeyIdIsWhatEvmctlComputes() throws Exception {
    Path file = Files.write(dir.resolve("plain"), new byte[] {1, 2, 3});
    Tools.ok(dir, "evmctl", "ima_sign", "-k", vendor.privatePem().toString(), file.toString());
    ImaXattr x = ImaXattr.parse(NativeFiles.system().get(file, "security.ima").orElseThrow());
    assertEquals(ImaKeyIds.fromPublicKey(vendor.certificate().getPublicKey()), x.keyId());
    // and it is bytes 16..19 of SHA-1 over the BIT STRING contents (DER RSAPublicKey)
    byte[] bits = SubjectPublicKeyInfo.getInstance(vendor.certificate().getPublicKey().getEncoded())
        .getPublicKeyData().getBytes();
    byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(bits);
    assertEquals(HexFormat.of().formatHex(sha1, 16, 20), x.keyIdHex());
  }

  @Test
  void defaultSkiAndPublicKeyIdAgree() {
    assertEquals(ImaKeyIds.fromSubjectKeyIdentifier(vendor.certificate()).orElseThrow(),
        ImaKeyIds.fromPublicKey(vendor.certificate().getPublicKey()));
    assertEquals(1, ImaKeyIds.of(vendor.certificate().getPublicKey(), vendor.certificate()).size());
  }

  @Test
  void chosenSkiGivesBothIds() {
    Set<Integer> ids = ImaKeyIds.of(first.certificate().getPublicKey(), first.certificate());
    assertEquals(2, ids.size());
    assertTrue(ids.contains(0xdeadbeef));
    assertEquals(0xdeadbeef, ImaKeyIds.forSigning(first.certificate().getPublicKey(), first.certificate()));
  }

  @Test
  void collidingKeyIdsTryEveryTrustedKey() throws Exception {
    TrustStore trust = TrustStore.builder().trust("first", first.certificate()).trust("second", second.certificate())
        .build();
    for (TestKeys.Key signer : new TestKeys.Key[] {first, second}) {
      Path file = Files.write(dir.resolve("by-" + signer.name()), signer.name().getBytes());
      Tools.ok(dir, "evmctl", "ima_sign", "-k", signer.privatePem().toString(), "--keyid-from-cert",
          signer.certificateDer().toString(), file.toString());
      CodeSignature sig = EvmctlInteropTest.verify(file, trust);
      assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
      assertEquals("deadbeef", sig.signer().orElseThrow().keyId().orElseThrow());
      assertEquals(signer.name(), sig.signer().orElseThrow().trustName().orElseThrow());
    }
  }

  @Test
  void peeridSignerUsesTheCertificatesSki() throws Exception {
    ImaSigner signer = ImaSigner.fromPem(second.privatePem(), second.certificateDer(), ImaHashAlgorithm.SHA256);
    assertEquals("deadbeef", signer.keyIdHex());
    ImaSigner bare = ImaSigner.fromPem(second.privatePem(), null, ImaHashAlgorithm.SHA256);
    assertNotEquals("deadbeef", bare.keyIdHex());
    Path file = Files.write(dir.resolve("peerid-second"), new byte[] {9});
    signer.sign(file, ImaSigner.Storage.XATTR);
    TrustStore trust = TrustStore.builder().trust("first", first.certificate()).trust("second", second.certificate())
        .build();
    assertEquals("second", EvmctlInteropTest.verify(file, trust).signer().orElseThrow().trustName().orElseThrow());
  }

  @Test
  void foreignKeyClaimingATrustedIdIsInvalidNotValid() throws Exception {
    // Anyone can write any key id: a stranger's signature labelled with the vendor's id must fail.
    String vendorId = ImaKeyIds.hex(ImaKeyIds.fromPublicKey(vendor.certificate().getPublicKey()));
    Path file = Files.write(dir.resolve("impostor"), new byte[] {7, 7, 7});
    Tools.ok(dir, "evmctl", "ima_sign", "-k", stranger.privatePem().toString(), "--keyid", vendorId, file.toString());
    CodeSignature sig = EvmctlInteropTest.verify(file, TrustStore.builder().trust("vendor", vendor.certificate()).build());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains(vendorId));
  }
}
