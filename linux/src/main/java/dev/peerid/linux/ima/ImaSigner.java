package dev.peerid.linux.ima;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Writes IMA signature v2 values, as {@code evmctl ima_sign} does: RSA (PKCS#1 v1.5 over a
 * DigestInfo) or ECDSA (P-256, P-384, ...) over the plain digest of the whole file, into
 * {@code security.ima} (needs CAP_SYS_ADMIN) or into the sidecar {@code FILE.sig}.
 *
 * <pre>{@code
 * ImaSigner signer = ImaSigner.fromPem(Path.of("key.pem"), Path.of("cert.der"), ImaHashAlgorithm.SHA256);
 * signer.sign(file, ImaSigner.Storage.SIDECAR);
 * }</pre>
 *
 * The key id is the last 4 bytes of the certificate's SubjectKeyIdentifier when a certificate with
 * one is given (what the kernel matches), else bytes 16..19 of SHA-1 over the public key bits
 * (evmctl's default). The two agree for the usual SKI (SHA-1 of the key); with a certificate whose
 * SKI was chosen otherwise, the kernel and peerid find the key but evmctl 1.4's {@code ima_verify}
 * does not (it only computes the public-key id). Immutable and thread-safe.
 */
public final class ImaSigner {
  /** Where a signature goes. */
  public enum Storage {
    /** {@code security.ima}: what the kernel appraises; needs CAP_SYS_ADMIN. */
    XATTR,
    /** {@code FILE.sig} beside the file (evmctl {@code --sigfile}): for users who are not root. */
    SIDECAR
  }

  private static final long MAX_KEY_FILE = 1 << 20;

  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final ImaHashAlgorithm algorithm;
  private final int keyId;
  private final NativeFiles xattrs;

  private ImaSigner(PrivateKey privateKey, PublicKey publicKey, ImaHashAlgorithm algorithm, int keyId, NativeFiles xattrs) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.algorithm = algorithm;
    this.keyId = keyId;
    this.xattrs = xattrs;
  }

  /**
   * A signer from a PEM private key (PKCS#8 {@code PRIVATE KEY}, or the traditional
   * {@code RSA PRIVATE KEY} / {@code EC PRIVATE KEY}; not encrypted).
   *
   * @param certificateOrNull the key's certificate (PEM or DER); its SubjectKeyIdentifier gives
   *                          the key id; it must carry the same public key
   */
  public static ImaSigner fromPem(Path privateKeyPem, Path certificateOrNull, ImaHashAlgorithm algorithm)
      throws IOException, GeneralSecurityException {
    KeyPair pair = readKeyPair(privateKeyPem);
    X509Certificate certificate = certificateOrNull == null ? null : readCertificate(certificateOrNull);
    return of(pair.privateKey, pair.publicKey, certificate, algorithm);
  }

  /** A signer from keys already loaded; see {@link #fromPem}. */
  public static ImaSigner of(PrivateKey privateKey, PublicKey publicKey, X509Certificate certificateOrNull,
      ImaHashAlgorithm algorithm) throws GeneralSecurityException {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(algorithm, "algorithm");
    if (!ImaSignatures.isSupportedKey(publicKey) || !publicKey.getAlgorithm().equals(privateKey.getAlgorithm())) {
      throw new GeneralSecurityException("IMA signatures need an RSA or EC key pair, got "
          + privateKey.getAlgorithm() + "/" + publicKey.getAlgorithm());
    }
    if (algorithm == ImaHashAlgorithm.MD5 || !algorithm.isSupportedByJvm()) {
      throw new GeneralSecurityException("cannot sign with " + algorithm
          + ": use sha256, sha384, sha512, sha224, sha1 or sha3-256/384/512");
    }
    if (certificateOrNull != null
        && !Arrays.equals(certificateOrNull.getPublicKey().getEncoded(), publicKey.getEncoded())) {
      throw new GeneralSecurityException("the certificate "
          + certificateOrNull.getSubjectX500Principal().getName() + " does not belong to the private key");
    }
    // Refuse a key pair that does not match now, not after writing a signature nobody can verify.
    byte[] probe = new byte[algorithm.digestLength()];
    if (!ImaSignatures.verifies(publicKey, algorithm, probe, ImaSignatures.sign(privateKey, algorithm, probe))) {
      throw new GeneralSecurityException("the public key does not match the private key");
    }
    return new ImaSigner(privateKey, publicKey, algorithm, ImaKeyIds.forSigning(publicKey, certificateOrNull),
        NativeFiles.system());
  }

  /** The same signer writing xattrs through {@code xattrs} (tests). */
  ImaSigner withNativeFiles(NativeFiles other) {
    return new ImaSigner(privateKey, publicKey, algorithm, keyId, other);
  }

  /** The key id written into every signature, 8 lower-case hex digits. */
  public String keyIdHex() {
    return ImaKeyIds.hex(keyId);
  }

  public ImaHashAlgorithm algorithm() {
    return algorithm;
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** The {@code security.ima} value for {@code file}'s current content. */
  public byte[] signature(Path file) throws IOException, GeneralSecurityException {
    MessageDigest digest = algorithm.newDigest();
    try {
      FileHasher.hash(file, Long.MAX_VALUE, digest);
    } catch (FileHasher.TooLargeException impossible) {
      throw new IOException(file + ": too large to hash", impossible);
    }
    byte[] sig = ImaSignatures.sign(privateKey, algorithm, digest.digest());
    return ImaXattr.encodeSignatureV2(algorithm, keyId, sig);
  }

  /**
   * Signs {@code file} and stores the signature; returns where: the file itself (xattr) or its
   * sidecar. A sidecar is written to a temporary file and moved into place.
   */
  public Path sign(Path file, Storage storage) throws IOException, GeneralSecurityException {
    byte[] value = signature(file);
    if (storage == Storage.XATTR) {
      xattrs.set(file, ImaVerifier.XATTR_NAME, value);
      return file;
    }
    Path sidecar = Path.of(file + ImaVerifier.SIDECAR_SUFFIX);
    Path dir = sidecar.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + sidecar.getFileName(), ".tmp");
    try {
      Files.write(tmp, value);
      Files.move(tmp, sidecar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return sidecar;
  }

  private record KeyPair(PrivateKey privateKey, PublicKey publicKey) {}

  private static KeyPair readKeyPair(Path pem) throws IOException, GeneralSecurityException {
    if (Files.size(pem) > MAX_KEY_FILE) {
      throw new GeneralSecurityException(pem + ": too large for a private key");
    }
    Object object;
    try (Reader reader = Files.newBufferedReader(pem, StandardCharsets.US_ASCII);
         PEMParser parser = new PEMParser(reader)) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new GeneralSecurityException(pem + ": not a readable PEM private key (" + e.getMessage() + ")", e);
    }
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (object instanceof PEMKeyPair pair) {
        java.security.KeyPair kp = converter.getKeyPair(pair);
        return new KeyPair(kp.getPrivate(), kp.getPublic());
      }
      if (object instanceof PrivateKeyInfo info) {
        PrivateKey key = converter.getPrivateKey(info);
        return new KeyPair(key, publicKeyOf(key, info));
      }
    } catch (IOException | RuntimeException e) {
      throw new GeneralSecurityException(pem + ": cannot decode the private key (" + e.getMessage() + ")", e);
    }
    if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new GeneralSecurityException(pem + ": the private key is encrypted; decrypt it first "
          + "(openssl pkey -in KEY -out PLAIN.pem)");
    }
    throw new GeneralSecurityException(pem + ": no private key found (expected PEM PRIVATE KEY, RSA PRIVATE KEY"
        + " or EC PRIVATE KEY)");
  }

  /** PKCS#8 holds the private half only; the public half is derived (RSA) or read from it (EC). */
  private static PublicKey publicKeyOf(PrivateKey key, PrivateKeyInfo info) throws IOException, GeneralSecurityException {
    if (key instanceof RSAPrivateCrtKey rsa) {
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
    }
    if (key instanceof ECPrivateKey) {
      org.bouncycastle.asn1.sec.ECPrivateKey ec = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
      if (ec.getPublicKey() == null) {
        throw new GeneralSecurityException("the EC private key carries no public key; give it in the traditional "
            + "EC PRIVATE KEY form or with its public key");
      }
      SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(info.getPrivateKeyAlgorithm(), ec.getPublicKey().getBytes());
      return new JcaPEMKeyConverter().getPublicKey(spki);
    }
    throw new GeneralSecurityException("IMA signatures need an RSA or EC key, not " + key.getAlgorithm());
  }

  private static X509Certificate readCertificate(Path path) throws IOException, GeneralSecurityException {
    if (Files.size(path) > MAX_KEY_FILE) {
      throw new GeneralSecurityException(path + ": too large for a certificate");
    }
    try (var in = Files.newInputStream(path)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (CertificateException | ClassCastException e) {
      throw new GeneralSecurityException(path + ": not an X.509 certificate (" + e.getMessage() + ")", e);
    }
  }
}
