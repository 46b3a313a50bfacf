package dev.peerid.windows.authenticode;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
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

  static void verify(SignerInformation counter, byte[] parentSignature, X509Certificate signerCert)
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
    sig.update(attributes.getEncoded(ASN1Encoding.DER));
    if (!sig.verify(counter.getSignature())) {
      throw new TimestampVerifier.Refusal("its signature does not verify");
    }
  }
}
