package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Timestamp;
import dev.peerid.TrustStore;
import dev.peerid.testing.RealFiles;
import dev.peerid.VerdictJson;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Microsoft-signed files that no one here made, whose signing certificates have expired and whose
 * timestamps keep them valid: they verify only when the code-signing CA is trusted as a publisher
 * and the time-stamping CA as a timestamp authority, never with one of the two alone, and never with
 * the two swapped. The anchors are intermediate CAs taken from each file's own signature (see the
 * README of the test resources).
 */
class TimestampAuthorityTest {
  /** After every leaf below expired, so that only a counted timestamp can keep a signature valid. */
  static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

  record Case(String name, Path file, List<String> publishers, List<String> authorities, String kind,
      String stampedAt, String authority) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> files() throws Exception {
    return Stream.of(
        // PE32+ DLL, SHA-256, RFC 3161 (Microsoft Time-Stamp PCA 2010)
        Arguments.of(new Case("conpty.dll (node-pty 1.1.0)",
            RealFiles.npm(CorpusFiles.NODE_PTY, "package/prebuilds/win32-x64/conpty/conpty.dll"),
            List.of("microsoft-code-signing-pca-2011-2026"), List.of("microsoft-time-stamp-pca-2010-2030"),
            "rfc3161", "2025-10-09T02:14:00.845Z", "CN=Microsoft Time-Stamp Service,OU=nShield TSS ESN:A400-05E0-D947,"
                + "OU=Microsoft America Operations,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US")),
        // PE32 executable, SHA-1, PKCS#9 countersignature (the legacy Microsoft Timestamping PCA)
        Arguments.of(new Case("signtool.exe (electron-winstaller 5.4.4)",
            RealFiles.npm(CorpusFiles.ELECTRON_WINSTALLER, "package/vendor/signtool.exe"),
            List.of("microsoft-code-signing-pca-2012"), List.of("microsoft-timestamping-pca-2019"),
            "pkcs9", "2010-03-19T17:49:35Z", "CN=Microsoft Time-Stamp Service,OU=nCipher DSE ESN:7A82-688A-9F92,"
                + "OU=MOPR,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US")),
        // EFI application with two certificate-table entries (UEFI CA 2011 and UEFI CA 2023), RFC 3161
        Arguments.of(new Case("shimx64.efi (Debian shim-signed 1.51~1+deb12u1+16.1-2~deb12u1)",
            RealFiles.deb(CorpusFiles.SHIM_SIGNED_AMD64, "./usr/lib/shim/shimx64.efi.signed"),
            List.of("microsoft-corporation-uefi-ca-2011-2026", "microsoft-uefi-ca-2023-2038"),
            List.of("microsoft-time-stamp-pca-2010-2030"), "rfc3161", "2026-05-13T10:06:13.722Z",
            "CN=Microsoft Time-Stamp Service,OU=nShield TSS ESN:4C1A-05E0-D947,"
                + "OU=Microsoft Ireland Operations Limited,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US")));
  }

  private static CodeSignature verify(Path file, TrustStore trust) throws Exception {
    return new AuthenticodeVerifier(Clock.fixed(NOW, ZoneOffset.UTC))
        .verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  private static X509Certificate anchor(String name) throws Exception {
    return RealSignedFilesTest.certificate("anchors/" + name + ".pem");
  }

  private static TrustStore store(List<String> publishers, List<String> authorities) throws Exception {
    TrustStore.Builder b = TrustStore.builder();
    for (String p : publishers) {
      b.trust(p, anchor(p));
    }
    for (String a : authorities) {
      b.trustTimestampAuthority(a, anchor(a));
    }
    return b.build();
  }

  @ParameterizedTest
  @MethodSource("files")
  void validWithThePublisherAndTheTimestampAuthority(Case c) throws Exception {
    CodeSignature sig = verify(c.file(), store(c.publishers(), c.authorities()));
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    X509Certificate leaf = sig.signer().orElseThrow().certificate().orElseThrow();
    assertTrue(leaf.getNotAfter().toInstant().isBefore(NOW), "the signing certificate has expired: " + leaf);
    assertTrue(c.publishers().contains(sig.signer().orElseThrow().trustName().orElseThrow()));
    Timestamp first = sig.timestamps().get(0);
    assertTrue(first.counted(), first::toString);
    assertEquals(c.kind(), first.kind());
    assertEquals(c.stampedAt(), first.time().orElseThrow().toString());
    assertEquals(c.authority(), first.authority().orElseThrow());
    assertEquals(c.kind(), sig.attribute("timestampKind").orElseThrow());
    Map<String, Object> json = VerdictJson.timestamp(first);
    assertEquals(true, json.get("counted"));
    assertEquals(c.stampedAt(), json.get("time"));
    assertFalse(json.containsKey("reason"));
  }

  @ParameterizedTest
  @MethodSource("files")
  void untrustedWithThePublisherAlone(Case c) throws Exception {
    CodeSignature sig = verify(c.file(), store(c.publishers(), List.of()));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
    String ignored = (c.kind().equals("rfc3161") ? "RFC 3161 timestamp" : "PKCS#9 countersignature")
        + " ignored: its authority '" + c.authority() + "' is not a trusted timestamp authority (--trust-tsa)";
    assertTrue(sig.reasons().stream().anyMatch(r -> r.endsWith(ignored)), sig.reasons()::toString);
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("is not valid then")), sig.reasons()::toString);
    Timestamp first = sig.timestamps().get(0);
    assertFalse(first.counted());
    assertEquals(c.stampedAt(), first.time().orElseThrow().toString(), "an ignored timestamp still names its time");
    assertEquals(ignored, first.reason().orElseThrow());
    assertEquals(ignored, VerdictJson.timestamp(first).get("reason"));
    assertTrue(sig.attribute("timestamp").isEmpty());
  }

  @ParameterizedTest
  @MethodSource("files")
  void untrustedWithTheTimestampAuthorityAlone(Case c) throws Exception {
    CodeSignature sig = verify(c.file(), store(List.of(), c.authorities()));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
    assertTrue(sig.timestamps().get(0).counted(), "the time counts, but it vouches for no publisher");
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("the trust store has no certificate or key this signer"
        + " could chain to")), sig.reasons()::toString);
  }

  @ParameterizedTest
  @MethodSource("files")
  void untrustedWithTheTwoAnchorsSwapped(Case c) throws Exception {
    CodeSignature sig = verify(c.file(), store(c.authorities(), c.publishers()));
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
    assertTrue(sig.timestamps().stream().noneMatch(Timestamp::counted), sig.timestamps()::toString);
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("publisher entries never vouch for timestamps")),
        sig.reasons()::toString);
  }
}
