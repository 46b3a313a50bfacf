package dev.peerid;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys and certificates a server trusts, and the ones it has revoked. Immutable once built.
 * An empty trust store trusts nobody. A revoked key or certificate stays revoked even when it is
 * also listed as trusted.
 *
 * <p>Timestamp authorities are a second, separate set of anchors
 * ({@link Builder#trustTimestampAuthority}): they vouch only for the time an Authenticode timestamp
 * states, never for a publisher, and a publisher entry never vouches for a timestamp. Trusting a
 * timestamping root as a publisher would vouch for every code signer under it.
 *
 * <pre>{@code
 * TrustStore trust = TrustStore.builder()
 *     .trust("vendor", Path.of("/etc/myapp/vendor.pem"))
 *     .revoke("sha256:3f1c...")          // or an 8-hex-digit IMA key id, or a file
 *     .build();
 * }</pre>
 */
public final class TrustStore {
  private static final long MAX_INPUT_BYTES = 4L << 20;
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
  private static final Pattern KEY_ID = Pattern.compile("[0-9a-fA-F]{8}");
  private static final Pattern FINGERPRINT = Pattern.compile("sha256:([0-9a-fA-F]{64})");

  private final List<TrustEntry> entries;
  private final List<TrustEntry> timestampAuthorities;
  private final Set<String> revokedSpki;
  private final Set<String> revokedCertificates;
  private final Set<String> revokedKeyIds;

  private TrustStore(Builder b) {
    this.entries = List.copyOf(b.entries);
    this.timestampAuthorities = List.copyOf(b.timestampAuthorities);
    this.revokedSpki = Set.copyOf(b.revokedSpki);
    this.revokedCertificates = Set.copyOf(b.revokedCertificates);
    this.revokedKeyIds = Set.copyOf(b.revokedKeyIds);
  }

  private TrustStore(List<TrustEntry> entries, Set<String> revokedSpki, Set<String> revokedCertificates,
      Set<String> revokedKeyIds) {
    this.entries = entries;
    this.timestampAuthorities = List.of();
    this.revokedSpki = revokedSpki;
    this.revokedCertificates = revokedCertificates;
    this.revokedKeyIds = revokedKeyIds;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A trust store that trusts nobody. */
  public static TrustStore empty() {
    return builder().build();
  }

  /** Every trusted entry, in the order added. */
  public List<TrustEntry> entries() {
    return entries;
  }

  /** True when no publisher is trusted (timestamp authorities vouch for no publisher). */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The trusted timestamp authorities, in the order added; they never vouch for a publisher. */
  public List<TrustEntry> timestampAuthorities() {
    return timestampAuthorities;
  }

  /**
   * The timestamp authorities as a trust store of their own, with the same revocations: its
   * entries are the timestamp anchors, for building a time-stamping authority's chain exactly as a
   * publisher's is built. It has no timestamp authorities itself.
   */
  public TrustStore timestampTrust() {
    return new TrustStore(timestampAuthorities, revokedSpki, revokedCertificates, revokedKeyIds);
  }

  /** The certificate entries as PKIX trust anchors (for chain building). */
  public Set<TrustAnchor> anchors() {
    Set<TrustAnchor> anchors = new LinkedHashSet<>();
    for (TrustEntry e : entries) {
      e.certificate().ifPresent(c -> anchors.add(new TrustAnchor(c, null)));
    }
    return anchors;
  }

  /** The entry whose key is {@code key}, if any (pinning by key / SPKI). */
  public java.util.Optional<TrustEntry> entryForKey(PublicKey key) {
    return entries.stream().filter(e -> e.hasKey(key)).findFirst();
  }

  /** The entry holding exactly this certificate, or its key, if any. */
  public java.util.Optional<TrustEntry> entryFor(X509Certificate certificate) {
    String fp = Signer.fingerprint(certificate);
    for (TrustEntry e : entries) {
      if (e.certificate().map(Signer::fingerprint).filter(fp::equals).isPresent()) {
        return java.util.Optional.of(e);
      }
    }
    return entryForKey(certificate.getPublicKey());
  }

  /** True when this key was revoked (by key file or by a certificate carrying it). */
  public boolean isRevoked(PublicKey key) {
    return key != null && revokedSpki.contains(TrustEntry.spkiSha256(key));
  }

  /** True when this certificate, or its key, was revoked. */
  public boolean isRevoked(X509Certificate certificate) {
    return revokedCertificates.contains(Signer.fingerprint(certificate)) || isRevoked(certificate.getPublicKey());
  }

  /** True when this 32-bit IMA key id (8 lower-case hex digits) was revoked. */
  public boolean isKeyIdRevoked(String keyIdHex) {
    return keyIdHex != null && revokedKeyIds.contains(keyIdHex.toLowerCase(Locale.ROOT));
  }

  /** Revoked IMA key ids, 8 lower-case hex digits each. */
  public Set<String> revokedKeyIds() {
    return revokedKeyIds;
  }

  @Override
  public String toString() {
    return "TrustStore{" + entries.size() + " trusted, " + (timestampAuthorities.isEmpty() ? ""
        : timestampAuthorities.size() + " timestamp authorities, ") + (revokedSpki.size() + revokedCertificates.size()
        + revokedKeyIds.size()) + " revoked}";
  }

  /** Reads certificates (PEM or DER, one or many) or a PEM/DER public key from bytes. */
  static List<Object> parseKeyMaterial(byte[] data, String what) throws TrustStoreException {
    List<Object> out = new ArrayList<>();
    String text = new String(data, StandardCharsets.US_ASCII);
    if (text.contains("-----BEGIN ")) {
      Matcher m = PEM.matcher(text);
      while (m.find()) {
        String type = m.group(1);
        byte[] der;
        try {
          der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
          throw new TrustStoreException(what + ": bad base64 in PEM block " + type, e);
        }
        switch (type) {
          case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE" -> out.add(certificate(der, what));
          case "PUBLIC KEY" -> out.add(publicKey(der, what));
          default -> {
            if (type.contains("PRIVATE KEY")) {
              throw new TrustStoreException(what + ": holds a private key; give the certificate or public key");
            }
            throw new TrustStoreException(what + ": unsupported PEM block '" + type
                + "' (expected CERTIFICATE or PUBLIC KEY)");
          }
        }
      }
      if (out.isEmpty()) {
        throw new TrustStoreException(what + ": no complete PEM CERTIFICATE or PUBLIC KEY block");
      }
      return out;
    }
    try {
      out.add(certificate(data, what));
      return out;
    } catch (TrustStoreException notCertificate) {
      try {
        out.add(publicKey(data, what));
        return out;
      } catch (TrustStoreException notKey) {
        throw new TrustStoreException(what + ": neither a PEM file nor a DER X.509 certificate or public key");
      }
    }
  }

  private static X509Certificate certificate(byte[] der, String what) throws TrustStoreException {
    try {
      Collection<? extends java.security.cert.Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(der));
      if (certs.size() != 1) {
        throw new TrustStoreException(what + ": expected one certificate, found " + certs.size());
      }
      return (X509Certificate) certs.iterator().next();
    } catch (CertificateException | RuntimeException e) {
      throw new TrustStoreException(what + ": not a valid X.509 certificate (" + e.getMessage() + ")", e);
    }
  }

  private static PublicKey publicKey(byte[] der, String what) throws TrustStoreException {
    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
      try {
        return KeyFactory.getInstance(alg).generatePublic(spec);
      } catch (Exception tryNext) {
        // the key's algorithm is not in the DER header we can read cheaply; try the next one
      }
    }
    throw new TrustStoreException(what + ": not a valid RSA, EC or EdDSA public key");
  }

  static byte[] readBounded(Path file) throws TrustStoreException {
    try {
      long size = Files.size(file);
      if (size > MAX_INPUT_BYTES) {
        throw new TrustStoreException(file + ": too large for a key or certificate (" + size + " bytes)");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TrustStoreException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /** Collects entries and revocations; {@link #build()} freezes them. */
  public static final class Builder {
    private final List<TrustEntry> entries = new ArrayList<>();
    private final List<TrustEntry> timestampAuthorities = new ArrayList<>();
    private final Set<String> revokedSpki = new HashSet<>();
    private final Set<String> revokedCertificates = new HashSet<>();
    private final Set<String> revokedKeyIds = new TreeSet<>();

    private Builder() {}

    public Builder trust(String name, X509Certificate certificate) {
      entries.add(TrustEntry.ofCertificate(name, certificate));
      return this;
    }

    public Builder trust(String name, PublicKey key) {
      entries.add(TrustEntry.ofKey(name, key));
      return this;
    }

    /**
     * Trusts every certificate or public key in a file (PEM or DER), or in every regular file of a
     * directory. With a {@code null} name, each entry is named after its file without extension.
     */
    public Builder trust(String name, Path path) throws TrustStoreException {
      if (Files.isDirectory(path)) {
        for (Path file : listDirectory(path)) {
          trustFile(name, file);
        }
      } else {
        trustFile(name, path);
      }
      return this;
    }

    /** Parses the CLI form {@code [NAME=]PATH}. */
    public Builder trust(String spec) throws TrustStoreException {
      int eq = spec.indexOf('=');
      if (eq > 0 && !Files.exists(Path.of(spec))) {
        return trust(spec.substring(0, eq), Path.of(spec.substring(eq + 1)));
      }
      return trust(null, Path.of(spec));
    }

    private void trustFile(String name, Path file) throws TrustStoreException {
      addFile(entries, name, file);
    }

    /**
     * Trusts a timestamp authority: a certificate (a time-stamping CA, or the TSA's own certificate)
     * or key that Authenticode timestamps may chain to. It vouches only for the time a timestamp
     * states, never for a publisher.
     */
    public Builder trustTimestampAuthority(String name, X509Certificate certificate) {
      timestampAuthorities.add(TrustEntry.ofCertificate(name, certificate));
      return this;
    }

    public Builder trustTimestampAuthority(String name, PublicKey key) {
      timestampAuthorities.add(TrustEntry.ofKey(name, key));
      return this;
    }

    /**
     * Trusts as timestamp authorities every certificate or public key in a file (PEM or DER), or in
     * every regular file of a directory, as {@link #trust(String, Path)} does for publishers.
     */
    public Builder trustTimestampAuthority(String name, Path path) throws TrustStoreException {
      for (Path file : Files.isDirectory(path) ? listDirectory(path) : List.of(path)) {
        addFile(timestampAuthorities, name, file);
      }
      return this;
    }

    /** Parses the CLI form {@code [NAME=]PATH} of {@code --trust-tsa}. */
    public Builder trustTimestampAuthority(String spec) throws TrustStoreException {
      int eq = spec.indexOf('=');
      if (eq > 0 && !Files.exists(Path.of(spec))) {
        return trustTimestampAuthority(spec.substring(0, eq), Path.of(spec.substring(eq + 1)));
      }
      return trustTimestampAuthority(null, Path.of(spec));
    }

    private static void addFile(List<TrustEntry> to, String name, Path file) throws TrustStoreException {
      String entryName = name != null ? name : baseName(file);
      for (Object o : parseKeyMaterial(readBounded(file), file.toString())) {
        to.add(o instanceof X509Certificate c ? TrustEntry.ofCertificate(entryName, c)
            : TrustEntry.ofKey(entryName, (PublicKey) o));
      }
    }

    /** Revokes a certificate or key (every one in the file or directory). */
    public Builder revoke(Path path) throws TrustStoreException {
      List<Path> files = Files.isDirectory(path) ? listDirectory(path) : List.of(path);
      for (Path file : files) {
        for (Object o : parseKeyMaterial(readBounded(file), file.toString())) {
          if (o instanceof X509Certificate c) {
            revokedCertificates.add(Signer.fingerprint(c));
            revokedSpki.add(TrustEntry.spkiSha256(c.getPublicKey()));
          } else {
            revokedSpki.add(TrustEntry.spkiSha256((PublicKey) o));
          }
        }
      }
      return this;
    }

    public Builder revoke(X509Certificate certificate) {
      revokedCertificates.add(Signer.fingerprint(certificate));
      revokedSpki.add(TrustEntry.spkiSha256(certificate.getPublicKey()));
      return this;
    }

    public Builder revoke(PublicKey key) {
      revokedSpki.add(TrustEntry.spkiSha256(key));
      return this;
    }

    /** Revokes every signature carrying this 32-bit IMA key id (8 hex digits). */
    public Builder revokeKeyId(String keyIdHex) {
      if (!KEY_ID.matcher(keyIdHex).matches()) {
        throw new IllegalArgumentException("an IMA key id is 8 hex digits, got '" + keyIdHex + "'");
      }
      revokedKeyIds.add(keyIdHex.toLowerCase(Locale.ROOT));
      return this;
    }

    /** Revokes the certificate whose DER encoding has this SHA-256 (64 hex digits). */
    public Builder revokeCertificateSha256(String hex) {
      if (!hex.matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException("a SHA-256 fingerprint is 64 hex digits, got '" + hex + "'");
      }
      revokedCertificates.add(hex.toLowerCase(Locale.ROOT));
      return this;
    }

    /**
     * Parses the CLI form of a revocation: {@code sha256:<64 hex>}, an 8-hex-digit IMA key id, or
     * the path of a certificate or key file.
     */
    public Builder revoke(String value) throws TrustStoreException {
      Matcher fp = FINGERPRINT.matcher(value);
      if (fp.matches()) {
        return revokeCertificateSha256(fp.group(1));
      }
      if (KEY_ID.matcher(value).matches() && !Files.exists(Path.of(value))) {
        return revokeKeyId(value);
      }
      Path path = Path.of(value);
      if (!Files.exists(path)) {
        throw new TrustStoreException("revocation '" + value
            + "' is neither sha256:<64 hex digits>, an 8-hex-digit key id, nor an existing file");
      }
      return revoke(path);
    }

    public TrustStore build() {
      return new TrustStore(this);
    }

    private static List<Path> listDirectory(Path dir) throws TrustStoreException {
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")) {
            files.add(p);
          }
        }
      } catch (IOException e) {
        throw new TrustStoreException(dir + ": cannot list directory (" + e.getMessage() + ")", e);
      }
      files.sort(null);
      return files;
    }

    private static String baseName(Path file) {
      String n = file.getFileName().toString();
      int dot = n.lastIndexOf('.');
      return dot > 0 ? n.substring(0, dot) : n;
    }
  }
}
