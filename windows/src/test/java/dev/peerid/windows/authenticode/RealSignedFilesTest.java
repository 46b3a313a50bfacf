package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files signed by Microsoft and Debian, taken from Maven Central test dependencies and a Debian
 * package, verified against their real (intermediate) CA certificates shipped as test resources.
 */
class RealSignedFilesTest {
  private static final String RES = "/dev/peerid/windows/authenticode/";

  @TempDir
  Path tmp;

  /** Microsoft's code-signing CAs as publishers, its time-stamping CAs as timestamp authorities. */
  static TrustStore microsoft() throws Exception {
    TrustStore.Builder b = TrustStore.builder();
    for (String name : new String[] {"microsoft-code-signing-pca-2010-2025", "microsoft-code-signing-pca-2011-2026",
        "microsoft-code-signing-pca-2020", "microsoft-windows-third-party-component-ca-2013-2028"}) {
      b.trust(name, certificate("anchors/" + name + ".pem"));
    }
    for (String name : new String[] {"microsoft-time-stamp-pca-2010-2025", "microsoft-time-stamp-pca-2010-2030",
        "microsoft-time-stamp-pca-2021"}) {
      b.trustTimestampAuthority(name, certificate("anchors/" + name + ".pem"));
    }
    return b.build();
  }

  static X509Certificate certificate(String resource) throws Exception {
    try (InputStream in = RealSignedFilesTest.class.getResourceAsStream(RES + resource)) {
      assertNotNull(in, resource);
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** A resource from the test classpath (JavaFX's win jar holds its DLLs at the root) copied to a file. */
  Path classpathFile(String resource) throws IOException {
    try (InputStream in = getClass().getResourceAsStream(resource)) {
      assertNotNull(in, resource + " is not on the test classpath");
      Path out = tmp.resolve(Path.of(resource).getFileName().toString());
      Files.copy(in, out);
      return out;
    }
  }

  static Path mssqlDll() {
    String dir = System.getProperty("peerid.signedPeDir");
    assertNotNull(dir, "run through Maven: the dependency plugin copies the DLL");
    Path p = Path.of(dir, "mssql-jdbc_auth.dll");
    assertTrue(Files.isRegularFile(p), p + " missing");
    return p;
  }

  static CodeSignature verify(Path file, TrustStore trust) throws IOException {
    return new AuthenticodeVerifier().verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }

  @Test
  void serviceLoaderFindsTheVerifierAndItRecognizesPeFiles() throws Exception {
    ExecutableVerifier found = ServiceLoader.load(ExecutableVerifier.class).stream().map(ServiceLoader.Provider::get)
        .filter(v -> v.format() == SignatureFormat.AUTHENTICODE).findFirst().orElseThrow();
    byte[] head = Arrays.copyOf(Files.readAllBytes(mssqlDll()), 4096);
    assertTrue(found.recognizes(head));
    assertTrue(!found.recognizes("#!/bin/sh\necho not a PE file, just a script padded out".getBytes()));
    byte[] elf = Arrays.copyOf(new byte[] {0x7F, 'E', 'L', 'F'}, 4096);
    assertTrue(!found.recognizes(elf));
  }

  @Test
  void mssqlJdbcAuthDllIsValidWithRfc3161Timestamp() throws Exception {
    CodeSignature sig = verify(mssqlDll(), microsoft());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    Signer signer = sig.signer().orElseThrow();
    assertEquals("CN=Microsoft Corporation,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US",
        signer.subject().orElseThrow());
    assertEquals("microsoft-code-signing-pca-2011-2026", signer.trustName().orElseThrow());
    assertEquals("rfc3161", sig.attribute("timestampKind").orElseThrow());
    assertTrue(sig.attribute("timestamp").orElseThrow().startsWith("2024-08-22T21:06:24"));
    // The leaf expired in 2024: only the trusted timestamp keeps it valid.
    assertTrue(signer.certificate().orElseThrow().getNotAfter().toInstant().isBefore(java.time.Instant.now()));
    assertEquals("a79a3ff4ee1c37a7aa76b28e2bcd2b5fd82d8e7a9c66bf049d5cffc48fd15b06", sig.digest().orElseThrow().hex(),
        "the image digest osslsigncode computes for this file");
  }

  @Test
  void withoutItsTimestampAuthorityTheExpiredMicrosoftLeafIsUntrusted() throws Exception {
    TrustStore codeSigningOnly = TrustStore.builder()
        .trust("pca-2011", certificate("anchors/microsoft-code-signing-pca-2011-2026.pem")).build();
    CodeSignature sig = verify(mssqlDll(), codeSigningOnly);
    assertEquals(SignatureStatus.UNTRUSTED, sig.status(), sig::toString);
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("timestamp ignored")), sig.reasons()::toString);
  }

  @Test
  void tamperedMicrosoftDllIsInvalid() throws Exception {
    byte[] b = Files.readAllBytes(mssqlDll());
    b[b.length / 3] ^= 0x10;
    CodeSignature sig = verify(Files.write(tmp.resolve("tampered.dll"), b), microsoft());
    assertEquals(SignatureStatus.INVALID, sig.status());
  }

  @Test
  void javafxRuntimeDllHasTwoTrustedSignersWithNestedSignature() throws Exception {
    CodeSignature sig = verify(classpathFile("/vcruntime140.dll"), microsoft());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("2", sig.attribute("signatures").orElseThrow());
    assertEquals(2, sig.signers().size());
    assertEquals("microsoft-windows-third-party-component-ca-2013-2028",
        sig.signers().get(0).trustName().orElseThrow());
    assertEquals("microsoft-code-signing-pca-2011-2026", sig.signers().get(1).trustName().orElseThrow());
  }

  @Test
  void sha1SignatureWithPkcs9CountersignatureAndSha256Nested() throws Exception {
    Path dll = classpathFile("/api-ms-win-core-console-l1-1-0.dll");
    CodeSignature sig = verify(dll, microsoft());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals(2, sig.signers().size());
    assertEquals("SHA-1", sig.attribute("digestAlgorithm").orElseThrow());
    assertEquals("pkcs9", sig.attribute("timestampKind").orElseThrow());
    assertTrue(sig.signers().stream().allMatch(s -> s.trustName().isPresent()), sig.signers()::toString);

    // Only the SHA-256 nested signature's CA is trusted: still valid, that signer comes first.
    TrustStore nestedOnly = TrustStore.builder()
        .trust("pca-2010", certificate("anchors/microsoft-code-signing-pca-2010-2025.pem"))
        .trustTimestampAuthority("tsa-2010", certificate("anchors/microsoft-time-stamp-pca-2010-2025.pem")).build();
    CodeSignature nested = verify(dll, nestedOnly);
    assertEquals(SignatureStatus.VALID, nested.status(), nested::toString);
    assertEquals("pca-2010", nested.signer().orElseThrow().trustName().orElseThrow());
    assertEquals("rfc3161", nested.attribute("timestampKind").orElseThrow());
  }

  @Test
  void unsignedJavafxDll() throws Exception {
    CodeSignature sig = verify(classpathFile("/glass.dll"), microsoft());
    assertEquals(SignatureStatus.UNSIGNED, sig.status());
  }

  @Test
  void debianShimFallbackPinnedByCertificateAndByKey() throws Exception {
    Path efi = classpathFile(RES + "debian/fbx64.efi.signed");
    X509Certificate debian = certificate("debian/debian-secure-boot-signer-2022-shim.pem");
    CodeSignature sig = verify(efi, TrustStore.builder().trust("debian-shim", debian).build());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("CN=Debian Secure Boot Signer 2022 - shim", sig.signer().orElseThrow().subject().orElseThrow());
    assertEquals(Signer.fingerprint(debian), sig.signer().orElseThrow().sha256().orElseThrow());
    assertEquals(SignatureStatus.VALID,
        verify(efi, TrustStore.builder().trust("debian-key", debian.getPublicKey()).build()).status());
    assertEquals(SignatureStatus.UNTRUSTED, verify(efi, microsoft()).status());
    assertEquals(SignatureStatus.REVOKED, verify(efi, TrustStore.builder().trust("debian-shim", debian)
        .revoke("sha256:" + Signer.fingerprint(debian)).build()).status());
  }
}
