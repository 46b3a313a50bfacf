package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoreTest {
  @TempDir Path dir;

  @Test
  void loadsPemCertificatePemKeyAndDerCertificate() throws Exception {
    Path rsa = Openssl.selfSigned(dir, "vendor", "rsa");
    Openssl.selfSigned(dir, "other", "ec");
    Openssl.run(dir, "x509", "-in", "other.crt", "-outform", "DER", "-out", "other.der");
    Openssl.run(dir, "pkey", "-in", "vendor.key", "-pubout", "-out", "vendor-pub.pem");

    TrustStore ts = TrustStore.builder()
        .trust("vendor", rsa)
        .trust(dir.resolve("other.der").toString())
        .trust("bare=" + dir.resolve("vendor-pub.pem"))
        .build();

    assertEquals(3, ts.entries().size());
    assertEquals("vendor", ts.entries().get(0).name());
    assertTrue(ts.entries().get(0).certificate().isPresent());
    assertEquals("other", ts.entries().get(1).name(), "name defaults to the file name without extension");
    assertEquals("bare", ts.entries().get(2).name());
    assertTrue(ts.entries().get(2).certificate().isEmpty());
    assertTrue(ts.entries().get(2).hasKey(ts.entries().get(0).publicKey()), "same key, by SPKI");
    assertEquals(2, ts.anchors().size());
  }

  @Test
  void timestampAuthoritiesAreASeparateSetThatVouchesForNoPublisher() throws Exception {
    Path tsa = Openssl.selfSigned(dir, "tsa", "rsa");
    Path vendor = Openssl.selfSigned(dir, "vendor", "ec");
    Path tsaDir = Files.createDirectory(dir.resolve("tsas"));
    Openssl.selfSigned(tsaDir, "second", "ec");
    Files.delete(tsaDir.resolve("second.key"));
    TrustStore ts = TrustStore.builder()
        .trust("vendor", vendor)
        .trustTimestampAuthority("stamps=" + tsa)
        .trustTimestampAuthority(tsaDir.toString())
        .revoke(vendor)
        .build();
    assertEquals(1, ts.entries().size(), "a timestamp authority is not a publisher entry");
    assertEquals(java.util.List.of("stamps", "second"),
        ts.timestampAuthorities().stream().map(TrustEntry::name).toList());
    X509Certificate tsaCert = ts.timestampAuthorities().get(0).certificate().orElseThrow();
    assertTrue(ts.entryFor(tsaCert).isEmpty(), "publisher lookups never find a timestamp authority");

    TrustStore forTimestamps = ts.timestampTrust();
    assertEquals(ts.timestampAuthorities(), forTimestamps.entries());
    assertTrue(forTimestamps.timestampAuthorities().isEmpty());
    assertEquals("stamps", forTimestamps.entryFor(tsaCert).orElseThrow().name());
    assertTrue(forTimestamps.isRevoked(ts.entries().get(0).certificate().orElseThrow()), "revocations carry over");

    TrustStore onlyTsa = TrustStore.builder().trustTimestampAuthority("stamps", tsa).build();
    assertTrue(onlyTsa.isEmpty(), "a store with only timestamp authorities trusts no publisher");
    assertTrue(onlyTsa.anchors().isEmpty());
    assertThrows(TrustStoreException.class,
        () -> TrustStore.builder().trustTimestampAuthority("x", dir.resolve("tsa.key")));
  }

  @Test
  void directoryTrustsEveryFileNamedAfterIt() throws Exception {
    Path certs = Files.createDirectory(dir.resolve("certs"));
    Openssl.selfSigned(certs, "a", "rsa");
    Openssl.selfSigned(certs, "b", "ec");
    Files.delete(certs.resolve("a.key"));
    Files.delete(certs.resolve("b.key"));
    TrustStore ts = TrustStore.builder().trust(null, certs).build();
    assertEquals(2, ts.entries().size());
    assertEquals("a", ts.entries().get(0).name());
    assertEquals("b", ts.entries().get(1).name());
  }

  @Test
  void revocationByFileKeyIdAndFingerprint() throws Exception {
    Path crt = Openssl.selfSigned(dir, "vendor", "rsa");
    Path other = Openssl.selfSigned(dir, "other", "rsa");
    TrustStore probe = TrustStore.builder().trust("v", crt).trust("o", other).build();
    X509Certificate vendor = probe.entries().get(0).certificate().orElseThrow();
    X509Certificate otherCert = probe.entries().get(1).certificate().orElseThrow();

    TrustStore byFile = TrustStore.builder().trust("v", crt).revoke(crt.toString()).build();
    assertTrue(byFile.isRevoked(vendor), "revoked even though also trusted");
    assertTrue(byFile.isRevoked(vendor.getPublicKey()));
    assertFalse(byFile.isRevoked(otherCert));

    TrustStore byFingerprint = TrustStore.builder().revoke("sha256:" + Signer.fingerprint(vendor).toUpperCase()).build();
    assertTrue(byFingerprint.isRevoked(vendor));
    assertFalse(byFingerprint.isRevoked(otherCert));

    TrustStore byKeyId = TrustStore.builder().revoke("DEADBEEF").build();
    assertTrue(byKeyId.isKeyIdRevoked("deadbeef"));
    assertFalse(byKeyId.isKeyIdRevoked("deadbeee"));
  }

  @Test
  void badInputsFailWithTheirName() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello");
    TrustStoreException e = assertThrows(TrustStoreException.class, () -> TrustStore.builder().trust("g", garbage));
    assertTrue(e.getMessage().contains("garbage.pem"), e.getMessage());

    Openssl.selfSigned(dir, "k", "rsa");
    TrustStoreException priv = assertThrows(TrustStoreException.class,
        () -> TrustStore.builder().trust("k", dir.resolve("k.key")));
    assertTrue(priv.getMessage().contains("private key"), priv.getMessage());

    Path truncated = Files.writeString(dir.resolve("t.pem"),
        Files.readString(dir.resolve("k.crt")).substring(0, 200));
    assertThrows(TrustStoreException.class, () -> TrustStore.builder().trust("t", truncated));

    assertThrows(TrustStoreException.class, () -> TrustStore.builder().revoke("sha256:abc"));
    assertThrows(TrustStoreException.class, () -> TrustStore.builder().trust("x", dir.resolve("missing.pem")));
  }

  @Test
  void emptyTrustStoreTrustsNobody() {
    TrustStore ts = TrustStore.empty();
    assertTrue(ts.isEmpty());
    assertTrue(ts.anchors().isEmpty());
  }
}
