package dev.peerid.linux.ima;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;

/**
 * The signature v2 primitive: a signature over the plain digest of the file. RSA is PKCS#1 v1.5 over
 * a DigestInfo (with NULL parameters, as OpenSSL and the kernel write it); ECDSA is a DER
 * Ecdsa-Sig-Value over the digest.
 */
final class ImaSignatures {
  private static final Map<ImaHashAlgorithm, String> DIGEST_OIDS = Map.of(
      ImaHashAlgorithm.MD5, "1.2.840.113549.2.5",
      ImaHashAlgorithm.SHA1, "1.3.14.3.2.26",
      ImaHashAlgorithm.SHA224, "2.16.840.1.101.3.4.2.4",
      ImaHashAlgorithm.SHA256, "2.16.840.1.101.3.4.2.1",
      ImaHashAlgorithm.SHA384, "2.16.840.1.101.3.4.2.2",
      ImaHashAlgorithm.SHA512, "2.16.840.1.101.3.4.2.3",
      ImaHashAlgorithm.SHA3_256, "2.16.840.1.101.3.4.2.8",
      ImaHashAlgorithm.SHA3_384, "2.16.840.1.101.3.4.2.9",
      ImaHashAlgorithm.SHA3_512, "2.16.840.1.101.3.4.2.10");

  private ImaSignatures() {}

  /** True when {@code key} is of a kind signature v2 uses (RSA or EC). */
  static boolean isSupportedKey(PublicKey key) {
    return "RSA".equals(key.getAlgorithm()) || "EC".equals(key.getAlgorithm());
  }

  /** True when {@code signature} verifies over {@code digest} with {@code key}; false for any mismatch. */
  static boolean verifies(PublicKey key, ImaHashAlgorithm algorithm, byte[] digest, byte[] signature) {
    try {
      Signature verifier = engine(key.getAlgorithm());
      verifier.initVerify(key);
      verifier.update(signedBytes(key.getAlgorithm(), algorithm, digest));
      return verifier.verify(signature);
    } catch (SignatureException | InvalidKeyException | IllegalArgumentException e) {
      // a signature of the wrong size or encoding for this key simply does not verify with it
      return false;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Signs {@code digest} with {@code key} the way evmctl does. */
  static byte[] sign(PrivateKey key, ImaHashAlgorithm algorithm, byte[] digest) throws GeneralSecurityException {
    Signature signer = engine(key.getAlgorithm());
    signer.initSign(key);
    signer.update(signedBytes(key.getAlgorithm(), algorithm, digest));
    return signer.sign();
  }

  private static Signature engine(String keyAlgorithm) throws GeneralSecurityException {
    switch (keyAlgorithm) {
      case "RSA":
        return Signature.getInstance("NONEwithRSA");
      case "EC":
        return Signature.getInstance("NONEwithECDSA");
      default:
        throw new InvalidKeyException("IMA signatures use RSA or EC keys, not " + keyAlgorithm);
    }
  }

  private static byte[] signedBytes(String keyAlgorithm, ImaHashAlgorithm algorithm, byte[] digest)
      throws GeneralSecurityException {
    if (!"RSA".equals(keyAlgorithm)) {
      return digest;
    }
    String oid = DIGEST_OIDS.get(algorithm);
    if (oid == null) {
      throw new GeneralSecurityException("no PKCS#1 DigestInfo for " + algorithm);
    }
    try {
      return new DigestInfo(new AlgorithmIdentifier(new ASN1ObjectIdentifier(oid), DERNull.INSTANCE), digest)
          .getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot encode DigestInfo", e);
    }
  }
}
