package dev.peerid;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who made a signature, as far as the signature tells: a key id (IMA), a certificate chain
 * (Authenticode, Apple), the matching trust-store entry, and Apple's team id and signing identifier.
 * Every field has a documented "not available" value: an empty {@link Optional} or an empty list.
 */
public final class Signer {
  private final String keyId;
  private final List<X509Certificate> chain;
  private final PublicKey publicKey;
  private final String trustName;
  private final String teamId;
  private final String identifier;

  private Signer(Builder b) {
    this.keyId = b.keyId;
    this.chain = List.copyOf(b.chain);
    this.publicKey = b.publicKey != null ? b.publicKey : (chain.isEmpty() ? null : chain.get(0).getPublicKey());
    this.trustName = b.trustName;
    this.teamId = b.teamId;
    this.identifier = b.identifier;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.keyId = keyId;
    b.chain = chain;
    b.publicKey = publicKey;
    b.trustName = trustName;
    b.teamId = teamId;
    b.identifier = identifier;
    return b;
  }

  /** Key identifier as lower-case hex (for IMA: 8 digits, the 32-bit id in the signature). */
  public Optional<String> keyId() {
    return Optional.ofNullable(keyId);
  }

  /** The certificate chain, leaf first; empty when the signer is a bare key (IMA without certificate). */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The leaf certificate, if any. */
  public Optional<X509Certificate> certificate() {
    return chain.isEmpty() ? Optional.empty() : Optional.of(chain.get(0));
  }

  /** The public key that verified the signature, if it is known. */
  public Optional<PublicKey> publicKey() {
    return Optional.ofNullable(publicKey);
  }

  /** The name of the trust-store entry that vouches for this signer; empty when none does. */
  public Optional<String> trustName() {
    return Optional.ofNullable(trustName);
  }

  /** Apple Team ID (leaf certificate subject OU); empty elsewhere. */
  public Optional<String> teamId() {
    return Optional.ofNullable(teamId);
  }

  /** Apple signing identifier; empty elsewhere. */
  public Optional<String> identifier() {
    return Optional.ofNullable(identifier);
  }

  /** RFC 2253 subject of the leaf certificate. */
  public Optional<String> subject() {
    return certificate().map(c -> c.getSubjectX500Principal().getName());
  }

  /** Lower-case hex SHA-256 fingerprint of the leaf certificate's DER encoding. */
  public Optional<String> sha256() {
    return certificate().map(Signer::fingerprint);
  }

  /** Lower-case hex SHA-256 of a certificate's DER encoding. */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot fingerprint certificate", e);
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Signer{");
    if (keyId != null) {
      sb.append("keyId=").append(keyId).append(' ');
    }
    subject().ifPresent(s -> sb.append("subject=").append(s).append(' '));
    if (trustName != null) {
      sb.append("trust=").append(trustName).append(' ');
    }
    if (teamId != null) {
      sb.append("team=").append(teamId).append(' ');
    }
    if (identifier != null) {
      sb.append("identifier=").append(identifier).append(' ');
    }
    return sb.toString().trim() + "}";
  }

  /** Builder; every field is optional. */
  public static final class Builder {
    private String keyId;
    private List<X509Certificate> chain = List.of();
    private PublicKey publicKey;
    private String trustName;
    private String teamId;
    private String identifier;

    private Builder() {}

    public Builder keyId(String keyId) {
      this.keyId = keyId;
      return this;
    }

    public Builder chain(List<X509Certificate> chain) {
      this.chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
      return this;
    }

    public Builder publicKey(PublicKey publicKey) {
      this.publicKey = publicKey;
      return this;
    }

    public Builder trustName(String trustName) {
      this.trustName = trustName;
      return this;
    }

    public Builder teamId(String teamId) {
      this.teamId = teamId;
      return this;
    }

    public Builder identifier(String identifier) {
      this.identifier = identifier;
      return this;
    }

    public Signer build() {
      return new Signer(this);
    }
  }
}
