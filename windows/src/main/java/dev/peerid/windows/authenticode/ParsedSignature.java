package dev.peerid.windows.authenticode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;

/**
 * One Authenticode SignedData, checked for shape: SignedData content type, SpcIndirectDataContent
 * as both the encapsulated and the signed content type, SpcPeImageData, one signer, agreeing digest
 * algorithms. Cryptographic checks come later, once the image hash is known.
 */
final class ParsedSignature {
  static final ASN1ObjectIdentifier SPC_INDIRECT_DATA = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.1.4");
  static final ASN1ObjectIdentifier SPC_PE_IMAGE_DATA = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.1.15");
  /**
   * SPC_INDIVIDUAL_SP_KEY_PURPOSE, a statement-type OID that some EFI signing (Debian's fwupd-efi
   * images) wrote as the data type. UEFI firmware and shim never read the data type (EDK2's
   * {@code AuthenticodeVerify} checks the content type and compares the digest), so such files
   * boot; it is accepted here only with an SpcPeImageData value, and the signature says so.
   */
  static final ASN1ObjectIdentifier SPC_INDIVIDUAL_SP_KEY_PURPOSE = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.1.21");
  static final ASN1ObjectIdentifier NESTED_SIGNATURE = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.2.4.1");
  /** Real files nest one or two; a bound on work for hostile ones. */
  static final int MAX_SIGNATURES = 16;

  final String label;
  final CMSSignedData cms;
  final SignerInformation signer;
  final String digestAlgorithm;
  final byte[] signedImageDigest;
  /** A note when the data type is not SpcPeImageData but was accepted (see SPC_INDIVIDUAL_SP_KEY_PURPOSE). */
  final Optional<String> dataTypeNote;

  private ParsedSignature(String label, CMSSignedData cms, SignerInformation signer, String digestAlgorithm,
      byte[] signedImageDigest, Optional<String> dataTypeNote) {
    this.label = label;
    this.cms = cms;
    this.signer = signer;
    this.digestAlgorithm = digestAlgorithm;
    this.signedImageDigest = signedImageDigest;
    this.dataTypeNote = dataTypeNote;
  }

  /** Thrown for a SignedData that is not a well-formed Authenticode signature. */
  static final class MalformedSignatureException extends Exception {
    MalformedSignatureException(String message) {
      super(message);
    }
  }

  /** Parses one certificate-table entry and, depth first, the signatures nested in it. */
  static void parseWithNested(byte[] der, String label, List<ParsedSignature> out) throws MalformedSignatureException {
    ContentInfo contentInfo;
    try {
      contentInfo = ContentInfo.getInstance(ASN1Primitive.fromByteArray(der));
    } catch (Exception e) {
      Diagnostics.debug(label + ": not a DER ContentInfo", e);
      throw new MalformedSignatureException(label + ": the certificate-table entry is not a DER-encoded PKCS#7"
          + " ContentInfo");
    }
    parseWithNested(contentInfo, label, out);
  }

  private static void parseWithNested(ContentInfo contentInfo, String label, List<ParsedSignature> out)
      throws MalformedSignatureException {
    if (out.size() >= MAX_SIGNATURES) {
      throw new MalformedSignatureException("more than " + MAX_SIGNATURES + " signatures in one file");
    }
    ParsedSignature sig = parse(contentInfo, label);
    out.add(sig);
    AttributeTable unsigned = sig.signer.getUnsignedAttributes();
    if (unsigned == null) {
      return;
    }
    int n = 0;
    org.bouncycastle.asn1.ASN1EncodableVector attributes = unsigned.getAll(NESTED_SIGNATURE);
    for (int i = 0; i < attributes.size(); i++) {
      for (ASN1Encodable v : Attribute.getInstance(attributes.get(i)).getAttrValues().toArray()) {
        n++;
        ContentInfo nested;
        try {
          nested = ContentInfo.getInstance(v);
        } catch (RuntimeException e) {
          throw new MalformedSignatureException(label + ", nested " + n + ": not a ContentInfo");
        }
        parseWithNested(nested, label + ", nested " + n, out);
      }
    }
  }

  /**
   * SpcPeImageData, or the statement-type OID some EFI signers wrote in its place when its value
   * has SpcPeImageData's shape (flags BIT STRING, then the file link): empty or a note to report.
   */
  private static Optional<String> dataType(ASN1Sequence data, String label) throws MalformedSignatureException {
    ASN1ObjectIdentifier type = data.size() < 1 ? null : ASN1ObjectIdentifier.getInstance(data.getObjectAt(0));
    if (SPC_PE_IMAGE_DATA.equals(type)) {
      return Optional.empty();
    }
    boolean peImageValue = data.size() == 2 && data.getObjectAt(1) instanceof ASN1Sequence value
        && value.size() >= 1 && value.getObjectAt(0) instanceof ASN1BitString;
    if (SPC_INDIVIDUAL_SP_KEY_PURPOSE.equals(type) && peImageValue) {
      return Optional.of(label + ": its SpcIndirectDataContent names data type " + type
          + " (SPC_INDIVIDUAL_SP_KEY_PURPOSE) where the specification requires SpcPeImageData; accepted because"
          + " the value is an SpcPeImageData, as UEFI firmware and shim accept it");
    }
    throw new MalformedSignatureException(label + ": signed data type is not SpcPeImageData");
  }

  private static ParsedSignature parse(ContentInfo contentInfo, String label) throws MalformedSignatureException {
    try {
      if (!CMSObjectIdentifiers.signedData.equals(contentInfo.getContentType())) {
        throw new MalformedSignatureException(label + ": content type " + contentInfo.getContentType()
            + " is not SignedData");
      }
      CMSSignedData cms = new CMSSignedData(contentInfo);
      if (!SPC_INDIRECT_DATA.getId().equals(cms.getSignedContentTypeOID())) {
        throw new MalformedSignatureException(label + ": encapsulated content type " + cms.getSignedContentTypeOID()
            + " is not SpcIndirectDataContent");
      }
      if (cms.getSignedContent() == null || !(cms.getSignedContent().getContent() instanceof ASN1Encodable)) {
        throw new MalformedSignatureException(label + ": SpcIndirectDataContent is missing or not a structure");
      }
      ASN1Sequence indirect = ASN1Sequence.getInstance(cms.getSignedContent().getContent());
      if (indirect.size() != 2) {
        throw new MalformedSignatureException(label + ": SpcIndirectDataContent has " + indirect.size()
            + " fields, expected 2");
      }
      ASN1Sequence data = ASN1Sequence.getInstance(indirect.getObjectAt(0));
      Optional<String> dataTypeNote = dataType(data, label);
      DigestInfo digestInfo = DigestInfo.getInstance(indirect.getObjectAt(1));
      Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
      if (signers.size() != 1) {
        throw new MalformedSignatureException(label + ": " + signers.size() + " signer infos, expected exactly 1");
      }
      SignerInformation signer = signers.iterator().next();
      AlgorithmIdentifier signedWith = digestInfo.getAlgorithmId();
      ASN1ObjectIdentifier alg = signedWith.getAlgorithm();
      if (!alg.equals(signer.getDigestAlgorithmID().getAlgorithm())) {
        throw new MalformedSignatureException(label + ": image digest algorithm " + alg
            + " differs from the signer's digest algorithm " + signer.getDigestAlgorithmID().getAlgorithm());
      }
      if (signedWith.getParameters() != null && !DERNull.INSTANCE.equals(signedWith.getParameters())) {
        throw new MalformedSignatureException(label + ": image digest algorithm has unexpected parameters");
      }
      boolean listed = cms.getDigestAlgorithmIDs().stream().anyMatch(a -> a.getAlgorithm().equals(alg));
      if (!listed || cms.getDigestAlgorithmIDs().size() != 1) {
        throw new MalformedSignatureException(label + ": SignedData digestAlgorithms " + describe(cms)
            + " do not agree with the signer's " + alg);
      }
      String jdkName = DigestAlgorithms.jdkName(alg).orElseThrow(() -> new MalformedSignatureException(label
          + ": unsupported digest algorithm " + alg + " (SHA-1, SHA-256, SHA-384 and SHA-512 are supported)"));
      AttributeTable signed = signer.getSignedAttributes();
      if (signed == null) {
        throw new MalformedSignatureException(label + ": signer has no signed attributes");
      }
      Attribute contentType = signed.get(CMSAttributes.contentType);
      if (contentType == null || contentType.getAttrValues().size() != 1
          || !SPC_INDIRECT_DATA.equals(contentType.getAttrValues().getObjectAt(0))) {
        throw new MalformedSignatureException(label + ": signed contentType attribute is not SpcIndirectDataContent");
      }
      return new ParsedSignature(label, cms, signer, jdkName, digestInfo.getDigest(), dataTypeNote);
    } catch (CMSException | RuntimeException e) {
      Diagnostics.debug(label + ": malformed SignedData", e);
      throw new MalformedSignatureException(label + ": the SignedData is malformed (an element of its structure is"
          + " not what PKCS#7 and Authenticode allow there)");
    }
  }

  private static String describe(CMSSignedData cms) {
    List<String> ids = new ArrayList<>();
    cms.getDigestAlgorithmIDs().forEach(a -> ids.add(a.getAlgorithm().getId()));
    return ids.toString();
  }

  @SuppressWarnings("unchecked")
  Collection<X509CertificateHolder> signerCertificates() {
    return cms.getCertificates().getMatches(signer.getSID());
  }
}
