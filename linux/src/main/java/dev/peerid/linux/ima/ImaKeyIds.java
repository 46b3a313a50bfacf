package dev.peerid.linux.ima;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The 32-bit key ids a signature v2 may carry for a key. There are two conventions, and a trusted
 * key answers to both:
 * <ul>
 *   <li>the last 4 bytes of the certificate's SubjectKeyIdentifier: what the kernel matches
 *       (evmctl {@code --keyid-from-cert});</li>
 *   <li>bytes 16..19 of SHA-1 over the contents of the subjectPublicKey BIT STRING (RSA: the DER
 *       RSAPublicKey; EC: {@code 04 || X || Y}): evmctl's default, and what evmctl 1.4 computes when
 *       verifying.</li>
 * </ul>
 * They agree when the SKI is the usual SHA-1 of the key. Ids are 32 bits and collide (by accident
 * or on purpose: the id is just a field the signer writes), so a match only says which keys to try.
 */
public final class ImaKeyIds {
  private static final String SUBJECT_KEY_IDENTIFIER_OID = "2.5.29.14";

  private ImaKeyIds() {}

  /** The id evmctl computes from a public key (bytes 16..19 of SHA-1 over the key bits). */
  public static int fromPublicKey(PublicKey key) {
    byte[] keyBits = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
    byte[] sha1;
    try {
      sha1 = MessageDigest.getInstance("SHA-1").digest(keyBits);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every JVM", e);
    }
    return lastFour(sha1);
  }

  /** The id from a certificate's SubjectKeyIdentifier, when it has one of at least 4 bytes. */
  public static Optional<Integer> fromSubjectKeyIdentifier(X509Certificate certificate) {
    byte[] extension = certificate.getExtensionValue(SUBJECT_KEY_IDENTIFIER_OID);
    if (extension == null) {
      return Optional.empty();
    }
    try {
      byte[] inner = ASN1OctetString.getInstance(extension).getOctets();
      byte[] ski = SubjectKeyIdentifier.getInstance(inner).getKeyIdentifier();
      return ski.length >= 4 ? Optional.of(lastFour(ski)) : Optional.empty();
    } catch (RuntimeException malformed) {
      // a certificate with a broken SKI still answers to its key's id
      return Optional.empty();
    }
  }

  /** Every id a trusted key or certificate answers to. */
  public static Set<Integer> of(PublicKey key, X509Certificate certificateOrNull) {
    Set<Integer> ids = new LinkedHashSet<>();
    if (certificateOrNull != null) {
      fromSubjectKeyIdentifier(certificateOrNull).ifPresent(ids::add);
    }
    ids.add(fromPublicKey(key));
    return ids;
  }

  /** The id a signer writes: the certificate's SKI when it has one, else the public key's id. */
  public static int forSigning(PublicKey key, X509Certificate certificateOrNull) {
    if (certificateOrNull != null) {
      Optional<Integer> ski = fromSubjectKeyIdentifier(certificateOrNull);
      if (ski.isPresent()) {
        return ski.get();
      }
    }
    return fromPublicKey(key);
  }

  /** 8 lower-case hex digits. */
  public static String hex(int keyId) {
    return String.format(Locale.ROOT, "%08x", keyId);
  }

  private static int lastFour(byte[] b) {
    int n = b.length;
    return ((b[n - 4] & 0xff) << 24) | ((b[n - 4 + 1] & 0xff) << 16) | ((b[n - 4 + 2] & 0xff) << 8) | (b[n - 1] & 0xff);
  }
}
