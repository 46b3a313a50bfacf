package dev.peerid.linux.ima;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** Keys and self-signed certificates made with the real openssl. */
final class TestKeys {
  private TestKeys() {}

  /** A private key (PEM) and its certificate (DER). */
  record Key(String name, Path privatePem, Path certificateDer, X509Certificate certificate) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** How the certificate's SubjectKeyIdentifier is made. */
  enum Ski {
    /** openssl's default: SHA-1 of the key bits (so both key-id conventions agree). */
    DEFAULT,
    /** No SubjectKeyIdentifier at all. */
    NONE
  }

  static Key rsa(Path dir, String name, Ski ski) throws IOException {
    Path key = dir.resolve(name + ".pem");
    Tools.ok(dir, "openssl", "genrsa", "-out", key.toString(), "2048");
    return certify(dir, name, key, ski == Ski.NONE ? "subjectKeyIdentifier=none" : null);
  }

  /** An RSA key in the traditional "RSA PRIVATE KEY" form. */
  static Key rsaTraditional(Path dir, String name) throws IOException {
    Path key = dir.resolve(name + ".pem");
    Tools.ok(dir, "openssl", "genrsa", "-traditional", "-out", key.toString(), "2048");
    return certify(dir, name, key, null);
  }

  /** An RSA key whose certificate has the SubjectKeyIdentifier {@code skiHex}. */
  static Key rsaWithSki(Path dir, String name, String skiHex) throws IOException {
    Path key = dir.resolve(name + ".pem");
    Tools.ok(dir, "openssl", "genrsa", "-out", key.toString(), "2048");
    return certify(dir, name, key, "subjectKeyIdentifier=" + skiHex);
  }

  /** An EC key in the traditional "EC PRIVATE KEY" form; curve e.g. prime256v1, secp384r1. */
  static Key ec(Path dir, String name, String curve) throws IOException {
    Path key = dir.resolve(name + ".pem");
    Tools.ok(dir, "openssl", "ecparam", "-name", curve, "-genkey", "-noout", "-out", key.toString());
    return certify(dir, name, key, null);
  }

  /** An EC key in PKCS#8 "PRIVATE KEY" form. */
  static Key ecPkcs8(Path dir, String name, String curve) throws IOException {
    Path key = dir.resolve(name + ".pem");
    Tools.ok(dir, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve,
        "-out", key.toString());
    return certify(dir, name, key, null);
  }

  private static Key certify(Path dir, String name, Path key, String extension) throws IOException {
    Path cert = dir.resolve(name + ".der");
    var cmd = Tools.list("openssl", "req", "-new", "-x509", "-key", key.toString(), "-outform", "DER",
        "-out", cert.toString(), "-days", "30", "-subj", "/CN=peerid test " + name);
    if (extension != null) {
      cmd.add("-addext");
      cmd.add(extension);
    }
    Tools.ok(dir, cmd.toArray(String[]::new));
    try (InputStream in = Files.newInputStream(cert)) {
      return new Key(name, key, cert, (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    } catch (CertificateException e) {
      throw new IOException(e);
    }
  }
}
