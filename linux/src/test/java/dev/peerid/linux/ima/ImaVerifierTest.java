package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the verifier says about tampered, foreign, revoked, unsigned and malformed files. */
class ImaVerifierTest {
  @TempDir
  static Path dir;

  static TestKeys.Key vendor;
  static TestKeys.Key stranger;
  static int counter;

  @BeforeAll
  static void keys() throws IOException {
    Tools.require("evmctl", "openssl", "setfattr", "getfattr");
    Tools.requireSecurityXattrs(dir);
    vendor = TestKeys.rsa(dir, "vendor", TestKeys.Ski.DEFAULT);
    stranger = TestKeys.ec(dir, "stranger", "prime256v1");
  }

  static TrustStore trustVendor() {
    return TrustStore.builder().trust("vendor", vendor.certificate()).build();
  }

  @Test
  void tamperedAfterSigningIsInvalid() throws Exception {
    Path file = signedByVendor();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(5000);
      raf.write(raf.read() ^ 1);
    }
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("signature does not match the file's content (tampered?)"),
        sig::toString);
    assertTrue(sig.digest().isPresent());
  }

  @Test
  void foreignKeyIsUntrustedNamingTheKeyId() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_sign", "-k", stranger.privatePem().toString(), file.toString());
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
    String keyId = ImaKeyIds.hex(ImaKeyIds.fromPublicKey(stranger.certificate().getPublicKey()));
    assertTrue(sig.reasons().get(0).contains(keyId), sig::toString);
    assertEquals(keyId, sig.signer().orElseThrow().keyId().orElseThrow());
    assertTrue(sig.signer().orElseThrow().trustName().isEmpty());
  }

  @Test
  void emptyTrustStoreTrustsNobody() throws Exception {
    CodeSignature sig = verify(signedByVendor(), TrustStore.empty());
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
  }

  @Test
  void revokedCertificateIsRevokedEvenWhenTrusted() throws Exception {
    TrustStore trust = TrustStore.builder().trust("vendor", vendor.certificate()).revoke(vendor.certificate()).build();
    CodeSignature sig = verify(signedByVendor(), trust);
    assertEquals(SignatureStatus.REVOKED, sig.status(), sig::toString);
    assertEquals("vendor", sig.signer().orElseThrow().trustName().orElseThrow());
  }

  @Test
  void revokedKeyIsRevoked() throws Exception {
    TrustStore trust = TrustStore.builder().trust("vendor", vendor.certificate())
        .revoke(vendor.certificate().getPublicKey()).build();
    CodeSignature sig = verify(signedByVendor(), trust);
    assertEquals(SignatureStatus.REVOKED, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("key"), sig::toString);
  }

  @Test
  void revokedKeyFileIsRevoked() throws Exception {
    TrustStore trust = TrustStore.builder().trust("vendor", vendor.certificate()).revoke(vendor.certificateDer()).build();
    assertEquals(SignatureStatus.REVOKED, verify(signedByVendor(), trust).status());
  }

  @Test
  void revokedKeyIdIsRevokedWhetherOrNotTheKeyIsKnown() throws Exception {
    String keyId = ImaKeyIds.hex(ImaKeyIds.fromPublicKey(vendor.certificate().getPublicKey()));
    TrustStore trusted = TrustStore.builder().trust("vendor", vendor.certificate()).revokeKeyId(keyId).build();
    CodeSignature sig = verify(signedByVendor(), trusted);
    assertEquals(SignatureStatus.REVOKED, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains(keyId), sig::toString);

    TrustStore unknown = TrustStore.builder().revokeKeyId(keyId.toUpperCase(java.util.Locale.ROOT)).build();
    assertEquals(SignatureStatus.REVOKED, verify(signedByVendor(), unknown).status());
  }

  @Test
  void revokedCertificateFingerprintIsRevoked() throws Exception {
    String fingerprint = Signer.fingerprint(vendor.certificate());
    TrustStore trust = TrustStore.builder().trust("vendor", vendor.certificate())
        .revokeCertificateSha256(fingerprint).build();
    CodeSignature sig = verify(signedByVendor(), trust);
    assertEquals(SignatureStatus.REVOKED, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("certificate"), sig::toString);
  }

  @Test
  void unsignedFileIsUnsigned() throws Exception {
    Path file = newFile();
    VerifiedExecutable v = new ImaVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trustVendor()));
    assertEquals(SignatureStatus.UNSIGNED, v.signature().status());
    assertTrue(v.signature().reasons().get(0).contains("no IMA signature"), v::toString);
    assertTrue(v.signature().digest().isEmpty());
    assertTrue(v.sha256().isEmpty());
  }

  @Test
  void unsignedFileGetsSha256WhenAsked() throws Exception {
    Path file = newFile();
    VerifiedExecutable v = new ImaVerifier().verify(ExecutableFile.of(file),
        new VerificationContext(trustVendor(), VerificationContext.DEFAULT_MAX_FILE_SIZE, true));
    assertEquals(SignatureStatus.UNSIGNED, v.signature().status());
    assertArrayEquals(sha256(file), v.sha256().orElseThrow().value());
  }

  @ParameterizedTest
  @CsvSource({"sha256, SHA-256", "sha1, SHA-1"})
  void digestOnlyIsUnsignedWithTheDigestReported(String hash, String jdk) throws Exception {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_hash", "-a", hash, file.toString());
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.UNSIGNED, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("only a " + hash + " digest"), sig::toString);
    assertEquals(jdk, sig.digest().orElseThrow().algorithm());
    assertArrayEquals(MessageDigest.getInstance(jdk).digest(Files.readAllBytes(file)), sig.digest().orElseThrow().value());
    assertEquals("true", sig.attribute("digestMatches").orElseThrow());
  }

  @Test
  void staleDigestIsStillUnsignedAndSaysSo() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_hash", file.toString());
    Files.write(file, new byte[] {42}, StandardOpenOption.APPEND);
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.UNSIGNED, sig.status());
    assertEquals("false", sig.attribute("digestMatches").orElseThrow());
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("does not match")), sig::toString);
  }

  /** Values written with setfattr, as an attacker without our parser would. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "truncated header | 0x030204a2d4 | truncated",
      "wrong size field | 0x030204a2d46b4f0100aabbcc | says its signature is 256 bytes but 3 follow",
      "size field one short | 0x030204a2d46b4f0002aabbcc | says its signature is 2 bytes but 3 follow",
      "unknown type | 0x07010203 | unknown type 0x07",
      "unknown algorithm | 0x030263a2d46b4f0001aa | unknown hash algorithm 99",
      "wrong version | 0x030104a2d46b4f0001aa | version 1",
      "empty signature | 0x030204a2d46b4f0000 | empty signature",
      "digest too short | 0x0404aabb | expected 32",
      "legacy digest wrong length | 0x01aabbcc | expected 20 (sha1) or 16 (md5)",
      "EVM HMAC | 0x020102030405060708090a0b0c0d0e0f1011121314 | not a signature of the file's content",
      "EVM portable | 0x050204a2d46b4f0001aa | not a signature of the file's content",
      "fs-verity v3 | 0x060304a2d46b4f0001aa | fs-verity signatures (v3) are not supported",
      "md5 signature | 0x030201a2d46b4f0001aa | md5"})
  void malformedXattrIsInvalidWithReason(String name, String hex, String expected) throws Exception {
    Path file = newFile();
    Tools.ok(dir, "setfattr", "-n", "security.ima", "-v", hex, file.toString());
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains(expected), sig::toString);
    assertEquals("xattr", sig.attribute("storage").orElseThrow());
  }

  @Test
  void zeroLengthXattrIsInvalid() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "setfattr", "-n", "security.ima", file.toString());
    assertEquals(0, NativeFiles.system().get(file, "security.ima").orElseThrow().length, "present and empty");
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("zero length"), sig::toString);
  }

  @Test
  void unsupportedHashAlgorithmIsInvalidNotACrash() throws Exception {
    Path file = newFile();
    // streebog256 (18): a known kernel algorithm the JDK lacks
    Tools.ok(dir, "setfattr", "-n", "security.ima", "-v", "0x030212a2d46b4f0001aa", file.toString());
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("streebog256 is unsupported by this JVM"), sig::toString);
  }

  @Test
  void garbageSidecarIsInvalid() throws Exception {
    Path file = newFile();
    Files.write(Path.of(file + ".sig"), HexFormat.of().parseHex("0302040000"));
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertEquals("sidecar", sig.attribute("storage").orElseThrow());
    assertTrue(sig.reasons().get(0).contains("malformed IMA sidecar"), sig::toString);
  }

  @Test
  void oversizedSidecarIsInvalid() throws Exception {
    Path file = newFile();
    byte[] big = new byte[ImaXattr.MAX_LENGTH + 100];
    big[0] = 0x03;
    Files.write(Path.of(file + ".sig"), big);
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("longer than the kernel's limit"), sig::toString);
  }

  @Test
  void fifoSidecarDoesNotBlock() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "mkfifo", file + ".sig");
    CodeSignature sig = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
        () -> verify(file, trustVendor()));
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("not a regular file"), sig::toString);
  }

  @Test
  void directorySidecarIsInvalid() throws Exception {
    Path file = newFile();
    Files.createDirectory(Path.of(file + ".sig"));
    CodeSignature sig = verify(file, trustVendor());
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains("sidecar cannot be read"), sig::toString);
  }

  @Test
  void fifoContentIsRefusedNotWaitedFor() throws Exception {
    Path fifo = dir.resolve("fifo" + counter++);
    Tools.ok(dir, "mkfifo", fifo.toString());
    IOException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
        () -> org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> verify(fifo, trustVendor())));
    assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
  }

  @Test
  void xattrWinsOverSidecar() throws Exception {
    Path file = signedByVendor();
    Files.write(Path.of(file + ".sig"), new byte[] {0x07});
    assertEquals(SignatureStatus.VALID, verify(file, trustVendor()).status());
  }

  @Test
  void fileOverTheSizeLimitIsInvalidWithReason() throws Exception {
    Path file = signedByVendor();
    long size = Files.size(file);
    VerificationContext small = new VerificationContext(trustVendor(), size - 1, false);
    CodeSignature sig = new ImaVerifier().verify(ExecutableFile.of(file), small).signature();
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertEquals(file + " is " + size + " bytes, over the " + (size - 1) + "-byte limit for hashing",
        sig.reasons().get(0));

    VerificationContext exact = new VerificationContext(trustVendor(), size, false);
    assertEquals(SignatureStatus.VALID, new ImaVerifier().verify(ExecutableFile.of(file), exact).signature().status());
    assertEquals("4 GiB", ImaVerifier.describeSize(VerificationContext.DEFAULT_MAX_FILE_SIZE));
  }

  @Test
  void sha256IsComputedInTheSamePassWhenAsked() throws Exception {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_sign", "-k", vendor.privatePem().toString(), "-a", "sha512", file.toString());
    VerifiedExecutable v = new ImaVerifier().verify(ExecutableFile.of(file),
        new VerificationContext(trustVendor(), VerificationContext.DEFAULT_MAX_FILE_SIZE, true));
    assertEquals(SignatureStatus.VALID, v.signature().status());
    assertEquals("SHA-512", v.signature().digest().orElseThrow().algorithm());
    assertArrayEquals(sha256(file), v.sha256().orElseThrow().value());

    Path file2 = signedByVendor();
    VerifiedExecutable v2 = new ImaVerifier().verify(ExecutableFile.of(file2),
        new VerificationContext(trustVendor(), VerificationContext.DEFAULT_MAX_FILE_SIZE, true));
    assertEquals(v2.signature().digest().orElseThrow(), v2.sha256().orElseThrow());
    assertArrayEquals(sha256(file2), v2.sha256().orElseThrow().value());
  }

  @Test
  void bareTrustedPublicKeyWorksWithoutCertificate() throws Exception {
    TrustStore trust = TrustStore.builder().trust("vendor-key", vendor.certificate().getPublicKey()).build();
    CodeSignature sig = verify(signedByVendor(), trust);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertTrue(sig.signer().orElseThrow().chain().isEmpty());
    assertEquals("vendor-key", sig.signer().orElseThrow().trustName().orElseThrow());
  }

  @Test
  void registeredAsServiceWithCatchAllPriority() {
    var found = java.util.ServiceLoader.load(dev.peerid.spi.ExecutableVerifier.class).stream()
        .map(java.util.ServiceLoader.Provider::get).filter(v -> v instanceof ImaVerifier).findFirst();
    assertTrue(found.isPresent());
    assertEquals(100, found.get().priority());
    assertTrue(found.get().recognizes(new byte[0]));
    assertEquals(dev.peerid.SignatureFormat.IMA, found.get().format());
  }

  @Test
  void missingFileIsAnIOException() {
    Path missing = dir.resolve("does-not-exist");
    org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> verify(missing, trustVendor()));
  }

  static Path signedByVendor() throws IOException {
    Path file = newFile();
    Tools.ok(dir, "evmctl", "ima_sign", "-k", vendor.privatePem().toString(), file.toString());
    return file;
  }

  static synchronized Path newFile() throws IOException {
    byte[] content = new byte[20_000];
    new Random(counter).nextBytes(content);
    Path file = dir.resolve("f" + counter++);
    Files.write(file, content);
    assertFalse(Files.exists(Path.of(file + ".sig")));
    return file;
  }

  static byte[] sha256(Path file) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }

  static CodeSignature verify(Path file, TrustStore trust) throws IOException {
    return new ImaVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }
}
