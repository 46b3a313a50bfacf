package dev.peerid;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * One named thing the server trusts: a certificate (pinned leaf or CA anchor) or a bare public key.
 * Keys are compared by their SubjectPublicKeyInfo, never by a display name.
 */
public final class TrustEntry {
  private final String name;
  private final X509Certificate certificate;
  private final PublicKey publicKey;
  private final String spkiSha256;

  private TrustEntry(String name, X509Certificate certificate, PublicKey publicKey) {
    this.name = requireName(name);
    this.certificate = certificate;
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    this.spkiSha256 = spkiSha256(publicKey);
  }

  public static TrustEntry ofCertificate(String name, X509Certificate certificate) {
    return new TrustEntry(name, certificate, certificate.getPublicKey());
  }

  public static TrustEntry ofKey(String name, PublicKey key) {
    return new TrustEntry(name, null, key);
  }

  public String name() {
    return name;
  }

  public Optional<X509Certificate> certificate() {
    return Optional.ofNullable(certificate);
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo. */
  public String spkiSha256() {
    return spkiSha256;
  }

  /** True when {@code key} is this entry's key (same SubjectPublicKeyInfo). */
  public boolean hasKey(PublicKey key) {
    return key != null && spkiSha256.equals(spkiSha256(key));
  }

  /** Lower-case hex SHA-256 of a key's DER SubjectPublicKeyInfo. */
  public static String spkiSha256(PublicKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String requireName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a trust entry needs a non-empty name");
    }
    return name;
  }

  @Override
  public String toString() {
    return "TrustEntry{" + name + (certificate != null ? " " + certificate.getSubjectX500Principal().getName() : " key "
        + publicKey.getAlgorithm()) + "}";
  }
}
