package dev.peerid.windows.authenticode;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.cms.DefaultCMSSignatureAlgorithmNameGenerator;
import org.bouncycastle.cms.SignerInformation;

/**
 * Checks a PKCS#9 countersignature the way Authenticode writes it. Bouncy Castle refuses the
 * content-type attribute that Microsoft's countersigners include (RFC 5652 forbids it there), so the
 * two checks are done here: the messageDigest attribute covers the parent's signature value, and
 * the signature covers the DER SET of the signed attributes.
 */
final class Countersignatures {
  private Countersignatures() {}

  static final String RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

  /**
   * Verifies the countersignature; true when it is the legacy form, RSA over a bare SHA-1 digest
   * (PKCS#1 v1.5 padding without DigestInfo), which old Authenticode time-stamping services wrote
   * and Windows accepts.
   */
  static boolean verify(SignerInformation counter, byte[] parentSignature, X509Certificate signerCert)
      throws GeneralSecurityException, java.io.IOException, TimestampVerifier.Refusal {
    String digestName = DigestAlgorithms.jdkName(counter.getDigestAlgorithmID().getAlgorithm())
        .orElseThrow(() -> new TimestampVerifier.Refusal("it uses the unsupported digest algorithm "
            + counter.getDigestAlgorithmID().getAlgorithm()));
    Attribute md = counter.getSignedAttributes().get(CMSAttributes.messageDigest);
    if (md == null || md.getAttrValues().size() != 1) {
      throw new TimestampVerifier.Refusal("it has no single messageDigest attribute");
    }
    byte[] expected = ASN1OctetString.getInstance(md.getAttrValues().getObjectAt(0)).getOctets();
    if (!MessageDigest.isEqual(expected, MessageDigest.getInstance(digestName).digest(parentSignature))) {
      throw new TimestampVerifier.Refusal("its messageDigest does not cover this signature");
    }
    SignerInfo info = counter.toASN1Structure();
    ASN1Set attributes = info.getAuthenticatedAttributes();
    String algorithm = new DefaultCMSSignatureAlgorithmNameGenerator()
        .getSignatureName(counter.getDigestAlgorithmID(), info.getDigestEncryptionAlgorithm());
    Signature sig = Signature.getInstance(algorithm);
    sig.initVerify(signerCert.getPublicKey());
    byte[] signed = attributes.getEncoded(ASN1Encoding.DER);
    sig.update(signed);
    if (sig.verify(counter.getSignature())) {
      return false;
    }
    if (digestName.equals("SHA-1") && RSA_ENCRYPTION.equals(counter.getEncryptionAlgOID())
        && signerCert.getPublicKey() instanceof RSAPublicKey key
        && bareDigestSignature(key, counter.getSignature(), MessageDigest.getInstance("SHA-1").digest(signed))) {
      return true;
    }
    throw new TimestampVerifier.Refusal("its signature does not verify");
  }

  /**
   * True when {@code signature} recovers, under {@code key}, to exactly {@code 00 01 FF…FF 00 digest}
   * over the whole modulus (at least 8 bytes of FF): PKCS#1 v1.5 with the bare digest in place of
   * a DigestInfo, checked as strictly as the usual form.
   */
  static boolean bareDigestSignature(RSAPublicKey key, byte[] signature, byte[] digest) {
    int k = (key.getModulus().bitLength() + 7) / 8;
    if (signature.length != k) {
      return false;
    }
    BigInteger s = new BigInteger(1, signature);
    if (s.compareTo(key.getModulus()) >= 0) {
      return false;
    }
    byte[] m = s.modPow(key.getPublicExponent(), key.getModulus()).toByteArray();
    byte[] block = new byte[k];
    if (m.length > k) {
      return false;
    }
    System.arraycopy(m, 0, block, k - m.length, m.length);
    int padding = k - 3 - digest.length;
    if (padding < 8 || block[0] != 0 || block[1] != 1 || block[2 + padding] != 0) {
      return false;
    }
    for (int i = 2; i < 2 + padding; i++) {
      if (block[i] != (byte) 0xff) {
        return false;
      }
    }
    return MessageDigest.isEqual(java.util.Arrays.copyOfRange(block, 3 + padding, k), digest);
  }
}
