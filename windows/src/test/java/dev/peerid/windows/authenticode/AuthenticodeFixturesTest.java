package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.Timestamp;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our own PE files, built with mingw-w64 and signed with osslsigncode, verified and cross-checked. */
class AuthenticodeFixturesTest {
  @TempDir
  static Path dir;
  static Fixtures fx;
  static TrustStore trustCa;

  @BeforeAll
  static void build() throws Exception {
    fx = Fixtures.create(dir);
    trustCa = TrustStore.builder().trust("test-ca", fx.path("ca.pem")).build();
    fx.sign("hello.exe", "signed.exe", "leaf", "sha256");
  }

  static CodeSignature verify(Path file, TrustStore trust) throws IOException {
    return new AuthenticodeVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  /** osslsigncode's own verdict with the given CA file, to cross-check ours. */
  static boolean osslsigncodeAccepts(Path file, String caFile) throws Exception {
    return Tools.run(dir, "osslsigncode", "verify", "-CAfile", caFile, "-TSA-CAfile", caFile, "-in",
        file.toString()).exitCode() == 0;
  }

  static X509Certificate cert(String name) throws Exception {
    try (InputStream in = Files.newInputStream(fx.path(name))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  static void assertReason(CodeSignature sig, String fragment) {
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains(fragment)),
        () -> "expected a reason containing '" + fragment + "' in " + sig.reasons());
  }

  @Test
  void validSignatureChainsToTheTestCa() throws Exception {
    CodeSignature sig = verify(fx.path("signed.exe"), trustCa);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    Signer signer = sig.signer().orElseThrow();
    assertEquals("CN=peerid test signer", signer.subject().orElseThrow());
    assertEquals("test-ca", signer.trustName().orElseThrow());
    assertEquals(2, signer.chain().size(), "leaf first, then the anchor");
    assertEquals(cert("ca.pem"), signer.chain().get(1));
    assertEquals("pure-java", sig.attribute("verifiedBy").orElseThrow());
    assertEquals("SHA-256", sig.digest().orElseThrow().algorithm());
    assertTrue(osslsigncodeAccepts(fx.path("signed.exe"), "ca.pem"));
  }

  @Test
  void imageDigestMatchesWhatOsslsigncodeComputes() throws Exception {
    CodeSignature sig = verify(fx.path("signed.exe"), trustCa);
    String out = Tools.ok(dir, "osslsigncode", "verify", "-CAfile", "ca.pem", "-in", "signed.exe");
    assertTrue(out.contains("Calculated message digest : " + sig.digest().orElseThrow().hex().toUpperCase()), out);
  }

  @Test
  void sha384AndSha512AndSha1Images() throws Exception {
    for (String h : new String[] {"sha1", "sha384", "sha512"}) {
      Path f = fx.sign("hello.exe", "signed-" + h + ".exe", "leaf", h);
      CodeSignature sig = verify(f, trustCa);
      assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
      assertEquals(h.equals("sha1") ? "SHA-1" : "SHA-" + h.substring(3), sig.digest().orElseThrow().algorithm());
      assertTrue(osslsigncodeAccepts(f, "ca.pem"));
    }
  }

  @Test
  void pe32ImageVerifies() throws Exception {
    fx.pe32();
    Path f = fx.sign("hello32.exe", "signed32.exe", "leaf", "sha256");
    assertEquals(PeImage.PE32, PeImage.parse(Files.readAllBytes(f)).magic());
    CodeSignature sig = verify(f, trustCa);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertTrue(osslsigncodeAccepts(f, "ca.pem"));
    byte[] b = PeBytes.read(f);
    b[PeBytes.image(b).checksumOffset() > 0 ? (int) PeBytes.image(b).headerEnd() - 1 : 0] ^= 1;
    b[(int) PeBytes.image(b).certificateTableOffset() - 1] ^= 0x5A;
    CodeSignature tampered = verify(PeBytes.write(fx.path("signed32-tampered.exe"), b), trustCa);
    assertEquals(SignatureStatus.INVALID, tampered.status(), tampered::toString);
  }

  @Test
  void unsignedImage() throws Exception {
    CodeSignature sig = verify(fx.path("hello.exe"), trustCa);
    assertEquals(SignatureStatus.UNSIGNED, sig.status());
    assertReason(sig, "no certificate table");
  }

  @Test
  void tamperedSectionByteIsInvalid() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    b[PeBytes.indexOf(b, "hello from peerid")] = 'J';
    Path f = PeBytes.write(fx.path("tampered-section.exe"), b);
    CodeSignature sig = verify(f, trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "digest does not match the signed digest");
    assertTrue(!osslsigncodeAccepts(f, "ca.pem"), "osslsigncode agrees it is broken");
  }

  @Test
  void tamperedHeaderIsInvalid() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    int peOffset = PeBytes.u32(b, 0x3C);
    b[peOffset + 8] ^= 0x01; // COFF TimeDateStamp
    Path f = PeBytes.write(fx.path("tampered-header.exe"), b);
    CodeSignature sig = verify(f, trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "digest does not match");
    assertTrue(!osslsigncodeAccepts(f, "ca.pem"));
  }

  @Test
  void checksumFieldIsNotCovered() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    b[(int) PeBytes.image(b).checksumOffset()] ^= 0x7F;
    CodeSignature sig = verify(PeBytes.write(fx.path("checksum.exe"), b), trustCa);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
  }

  @Test
  void wrongAnchorIsUntrusted() throws Exception {
    TrustStore other = TrustStore.builder().trust("other", fx.path("other-ca.pem")).build();
    CodeSignature sig = verify(fx.path("signed.exe"), other);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertReason(sig, "no trusted chain");
    assertTrue(sig.signer().orElseThrow().trustName().isEmpty());
    assertTrue(!osslsigncodeAccepts(fx.path("signed.exe"), "other-ca.pem"));
    assertEquals(SignatureStatus.UNTRUSTED, verify(fx.path("signed.exe"), TrustStore.empty()).status());
  }

  @Test
  void pinnedLeafCertificateAndPinnedKey() throws Exception {
    TrustStore byCert = TrustStore.builder().trust("vendor", cert("leaf.pem")).build();
    CodeSignature sig = verify(fx.path("signed.exe"), byCert);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("vendor", sig.signer().orElseThrow().trustName().orElseThrow());
    TrustStore byKey = TrustStore.builder().trust("vendor-key", cert("leaf.pem").getPublicKey()).build();
    assertEquals(SignatureStatus.VALID, verify(fx.path("signed.exe"), byKey).status());
    TrustStore caKey = TrustStore.builder().trust("ca-key", cert("ca.pem").getPublicKey()).build();
    CodeSignature viaCaKey = verify(fx.path("signed.exe"), caKey);
    assertEquals(SignatureStatus.VALID, viaCaKey.status(), viaCaKey::toString);
    assertEquals("ca-key", viaCaKey.signer().orElseThrow().trustName().orElseThrow());
  }

  @Test
  void revokedSignerOrAnchor() throws Exception {
    TrustStore leafRevoked = TrustStore.builder().trust("test-ca", fx.path("ca.pem")).revoke(fx.path("leaf.pem")).build();
    CodeSignature sig = verify(fx.path("signed.exe"), leafRevoked);
    assertEquals(SignatureStatus.REVOKED, sig.status());
    assertReason(sig, "revoked");
    TrustStore caRevoked = TrustStore.builder().trust("test-ca", fx.path("ca.pem")).revoke(fx.path("ca.pem")).build();
    assertEquals(SignatureStatus.REVOKED, verify(fx.path("signed.exe"), caRevoked).status());
  }

  @Test
  void signerWithoutCodeSigningUsageIsInvalid() throws Exception {
    Path f = fx.sign("hello.exe", "server-signed.exe", "server", "sha256");
    CodeSignature sig = verify(f, trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "without code signing");
  }

  @Test
  void expiredWithoutTimestampIsUntrustedAndWithTimestampValid() throws Exception {
    Path plain = fx.sign("hello.exe", "expired.exe", "expired", "sha256");
    CodeSignature sig = verify(plain, trustCa);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status());
    assertReason(sig, "is not valid then (valid from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z)");
    assertTrue(!osslsigncodeAccepts(plain, "ca.pem"));

    Path stamped = fx.sign("hello.exe", "expired-stamped.exe", "expired", "sha256", "-TSA-certs", "tsa.pem",
        "-TSA-key", "tsa.key", "-TSA-time", Long.toString(Fixtures.TSA_TIME));
    TrustStore caAndTsa = TrustStore.builder().trust("test-ca", fx.path("ca.pem"))
        .trustTimestampAuthority("test-tsa", fx.path("ca.pem")).build();
    CodeSignature ok = verify(stamped, caAndTsa);
    assertEquals(SignatureStatus.VALID, ok.status(), ok::toString);
    assertEquals("2020-07-01T00:00:00Z", ok.attribute("timestamp").orElseThrow());
    assertEquals("rfc3161", ok.attribute("timestampKind").orElseThrow());
    assertEquals(List.of(Timestamp.counted("signature 1", "rfc3161", java.time.Instant.parse("2020-07-01T00:00:00Z"),
        "CN=peerid test TSA")), ok.timestamps());
    Tools.Run ossl = Tools.run(dir, "osslsigncode", "verify", "-CAfile", "ca.pem", "-TSA-CAfile", "ca.pem", "-in",
        stamped.toString());
    assertEquals(0, ossl.exitCode(), ossl::output);

    // The publisher entry does not vouch for the timestamp, although the same CA issued the TSA.
    CodeSignature publisherOnly = verify(stamped, trustCa);
    assertEquals(SignatureStatus.UNTRUSTED, publisherOnly.status(), publisherOnly::toString);
    assertReason(publisherOnly, "RFC 3161 timestamp ignored: its authority 'CN=peerid test TSA' is not a trusted"
        + " timestamp authority (--trust-tsa); it chains to the publisher entry 'test-ca', and publisher entries never"
        + " vouch for timestamps");
    Timestamp notCounted = publisherOnly.timestamps().get(0);
    assertFalse(notCounted.counted());
    assertEquals("2020-07-01T00:00:00Z", notCounted.time().orElseThrow().toString());
    assertEquals("CN=peerid test TSA", notCounted.authority().orElseThrow());
    // ... and the timestamp entry does not vouch for the publisher.
    CodeSignature tsaOnly = verify(stamped, TrustStore.builder().trustTimestampAuthority("test-tsa", fx.path("ca.pem"))
        .build());
    assertEquals(SignatureStatus.UNTRUSTED, tsaOnly.status(), tsaOnly::toString);
    assertTrue(tsaOnly.timestamps().get(0).counted(), "the timestamp counts, the signer is still not trusted");

    // A TSA the trust store does not know does not extend validity; key entries work for both sets.
    CodeSignature ignored = verify(stamped, TrustStore.builder().trust("other", fx.path("other-ca.pem"))
        .trust("leaf-pin", cert("expired.pem")).build());
    assertEquals(SignatureStatus.UNTRUSTED, ignored.status(), ignored::toString);
    assertReason(ignored, "timestamp ignored");
    assertEquals(SignatureStatus.VALID, verify(stamped, TrustStore.builder()
        .trust("signer-ca-key", cert("ca.pem").getPublicKey())
        .trustTimestampAuthority("tsa-ca-key", cert("ca.pem").getPublicKey()).build()).status());
  }

  @Test
  void nestedSignatureReportsBothSigners() throws Exception {
    fx.sign("hello.exe", "outer.exe", "leaf", "sha1");
    Path f = fx.sign("outer.exe", "nested.exe", "expired", "sha256", "-nest");
    CodeSignature sig = verify(f, trustCa);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("2", sig.attribute("signatures").orElseThrow());
    assertEquals(2, sig.signers().size());
    assertEquals("CN=peerid test signer", sig.signers().get(0).subject().orElseThrow());
    assertEquals("CN=peerid expired signer", sig.signers().get(1).subject().orElseThrow());
    assertTrue(osslsigncodeAccepts(fx.path("outer.exe"), "ca.pem"));

    // Only the nested signer is pinned: still valid, and it is reported first.
    CodeSignature nestedOnly = verify(f, TrustStore.builder().trust("pin", cert("leaf.pem")).build());
    assertEquals(SignatureStatus.VALID, nestedOnly.status());
    // A revoked nested signer makes the whole file revoked.
    CodeSignature revoked = verify(f, TrustStore.builder().trust("test-ca", fx.path("ca.pem"))
        .revoke(fx.path("expired.pem")).build());
    assertEquals(SignatureStatus.REVOKED, revoked.status());
  }

  @Test
  void paddedCertificateEntryIsRefused() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    PeImage img = PeBytes.image(b);
    long entry = img.certificateTableOffset();
    long dwLength = PeBytes.u32(b, entry) & 0xFFFFFFFFL;
    byte[] padded = PeBytes.concat(b, new byte[8]);
    PeBytes.putU32(padded, entry, dwLength + 8);
    PeBytes.setTableSize(padded, img.certificateTableSize() + 8);
    CodeSignature sig = verify(PeBytes.write(fx.path("padded.exe"), padded), trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "at most 7 bytes of zero padding");
  }

  @Test
  void sectionReachingIntoTheTableIsRefused() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    PeImage img = PeBytes.image(b);
    int peOffset = PeBytes.u32(b, 0x3C);
    int sections = (b[peOffset + 6] & 0xFF) | (b[peOffset + 7] & 0xFF) << 8;
    int optionalSize = (b[peOffset + 20] & 0xFF) | (b[peOffset + 21] & 0xFF) << 8;
    int last = peOffset + 24 + optionalSize + 40 * (sections - 1);
    long rawPointer = PeBytes.u32(b, last + 20) & 0xFFFFFFFFL;
    PeBytes.putU32(b, last + 16, img.certificateTableOffset() + 64 - rawPointer);
    CodeSignature sig = verify(PeBytes.write(fx.path("overlap.exe"), b), trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "overlaps section data");
  }

  @Test
  void dataAppendedAfterTheTableIsRefused() throws Exception {
    byte[] b = PeBytes.concat(PeBytes.read(fx.path("signed.exe")), "payload!payload!".getBytes());
    CodeSignature sig = verify(PeBytes.write(fx.path("appended.exe"), b), trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "16 bytes follow the certificate table");
  }

  @Test
  void directorySizeNotMatchingTheEntriesIsRefused() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    PeImage img = PeBytes.image(b);
    byte[] longer = PeBytes.concat(b, new byte[16]);
    PeBytes.setTableSize(longer, img.certificateTableSize() + 16);
    CodeSignature sig = verify(PeBytes.write(fx.path("size.exe"), longer), trustCa);
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertReason(sig, "certificate entry 1");
  }

  @Test
  void twoEntriesAreBothChecked() throws Exception {
    byte[] first = PeBytes.read(fx.path("signed.exe"));
    byte[] second = PeBytes.read(fx.sign("hello.exe", "signed-other.exe", "leaf", "sha1"));
    byte[] secondEntry = PeBytes.table(second);
    byte[] both = PeBytes.concat(first, secondEntry);
    PeBytes.setTableSize(both, PeBytes.image(first).certificateTableSize() + secondEntry.length);
    CodeSignature sig = verify(PeBytes.write(fx.path("two.exe"), both), trustCa);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("2", sig.attribute("signatures").orElseThrow());

    // Break the second entry's signature value (the end of its DER): the file is invalid.
    byte[] broken = both.clone();
    int derEnd = first.length + 8 + CertificateTable.derObjectLength(secondEntry, 8, secondEntry.length, 1);
    broken[derEnd - 3] ^= 0x01;
    CodeSignature bad = verify(PeBytes.write(fx.path("two-broken.exe"), broken), trustCa);
    assertEquals(SignatureStatus.INVALID, bad.status(), bad::toString);
    assertReason(bad, "signature 2");

    // A second entry signed over another image does not match this one.
    Tools.ok(dir, "x86_64-w64-mingw32-gcc", "-O0", "-s", "-o", "other.exe", "hello.c");
    byte[] foreign = PeBytes.table(PeBytes.read(fx.sign("other.exe", "other-signed.exe", "leaf", "sha256")));
    byte[] mixed = PeBytes.concat(first, foreign);
    PeBytes.setTableSize(mixed, PeBytes.image(first).certificateTableSize() + foreign.length);
    CodeSignature mismatch = verify(PeBytes.write(fx.path("mixed.exe"), mixed), trustCa);
    assertEquals(SignatureStatus.INVALID, mismatch.status());
    assertReason(mismatch, "signature 2: image SHA-256 digest does not match");
  }

  @Test
  void wholeFileSha256WhenAsked() throws Exception {
    VerifiedExecutable v = new AuthenticodeVerifier().verify(ExecutableFile.of(fx.path("signed.exe")),
        new VerificationContext(trustCa, VerificationContext.DEFAULT_MAX_FILE_SIZE, true));
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(fx.path("signed.exe")));
    assertEquals(HexFormat.of().formatHex(expected), v.sha256().orElseThrow().hex());
  }

  @Test
  void fileOverTheSizeLimitIsNotHashed() throws Exception {
    VerifiedExecutable v = new AuthenticodeVerifier().verify(ExecutableFile.of(fx.path("signed.exe")),
        new VerificationContext(trustCa, 1024, false));
    assertEquals(SignatureStatus.INVALID, v.signature().status());
    assertReason(v.signature(), "over the limit");
  }

  @Test
  void truncatedFileIsInvalidNotACrash() throws Exception {
    byte[] b = PeBytes.read(fx.path("signed.exe"));
    for (int len : new int[] {0, 2, 0x3F, 0x40, 0x80, 300, b.length / 2, b.length - 1}) {
      Path f = PeBytes.write(fx.path("cut-" + len + ".exe"), Arrays.copyOf(b, len));
      CodeSignature sig = verify(f, trustCa);
      assertEquals(SignatureStatus.INVALID, sig.status(), () -> len + ": " + sig);
    }
  }

  /**
   * hello.exe with its PE header moved into the DOS header (e_lfanew = 16, as packers write): the
   * field at 0x3C then lies in the optional header (PE32+ BaseOfCode), which must read 16 too.
   */
  static byte[] withHeaderAt16(byte[] b) {
    int pe = PeBytes.u32(b, 0x3C);
    int optionalSize = (b[pe + 20] & 0xFF) | (b[pe + 21] & 0xFF) << 8;
    int sections = (b[pe + 6] & 0xFF) | (b[pe + 7] & 0xFF) << 8;
    int length = 24 + optionalSize + 40 * sections;
    byte[] out = b.clone();
    System.arraycopy(b, pe, out, 16, length);
    java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x3C, 16);
    return out;
  }

  @Test
  void aPeHeaderInsideTheDosHeaderIsRecognisedAsTheLoaderDoes() throws Exception {
    byte[] moved = withHeaderAt16(Files.readAllBytes(fx.path("hello.exe")));
    assertEquals(16, PeBytes.u32(moved, 0x3C));
    Path unsigned = Files.write(dir.resolve("lfanew16.exe"), moved);
    assertTrue(new AuthenticodeVerifier().recognizes(java.util.Arrays.copyOf(moved, 4096)));
    CodeSignature plain = verify(unsigned, trustCa);
    assertEquals(SignatureStatus.UNSIGNED, plain.status(), plain::toString);
    assertEquals(SignatureFormat.AUTHENTICODE, plain.format());

    // osslsigncode 2.5 refuses to sign it (it requires e_lfanew >= 64), so no signed copy is made here
    Tools.Run ossl = Tools.run(dir, "osslsigncode", "sign", "-certs", "leaf.pem", "-key", "leaf.key", "-in",
        "lfanew16.exe", "-out", "lfanew16-signed.exe");
    assertTrue(ossl.exitCode() != 0, ossl::output);
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(trustCa).policy(Policy.parse("signed"))
        .verifiers(java.util.List.of(new AuthenticodeVerifier())).threads(1).build()) {
      Verdict v = verifier.verifyFile(unsigned);
      assertTrue(v.reasons().toString().contains("the PE image has no certificate table"), v.reasons()::toString);
    }
    // "MZ" and "PE" cannot overlap: below 4 is still not a PE image
    byte[] tooLow = moved.clone();
    java.nio.ByteBuffer.wrap(tooLow).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x3C, 2);
    assertTrue(!new AuthenticodeVerifier().recognizes(java.util.Arrays.copyOf(tooLow, 4096)));
  }
}
