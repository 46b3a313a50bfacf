package dev.peerid.macos;

import java.security.MessageDigest;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The CMS blob of a code signature: a detached SignedData over the slot-0 CodeDirectory, whose
 * signed attributes (cdhashes plist 1.2.840.113635.100.9.1, digests 1.2.840.113635.100.9.2) bind
 * every other CodeDirectory. Verifies the one signer and hands back the signing certificate and
 * the certificate bag for chain building.
 */
final class CmsSignature {
  static final ASN1ObjectIdentifier CDHASHES_PLIST = new ASN1ObjectIdentifier("1.2.840.113635.100.9.1");
  static final ASN1ObjectIdentifier CDHASHES_DIGESTS = new ASN1ObjectIdentifier("1.2.840.113635.100.9.2");
  static final int MAX_CERTIFICATES = 16;
  /** SHA-1 stays for signatures made before 2016, which Apple still accepts; MD5 and others do not. */
  static final java.util.Set<String> ACCEPTED_DIGESTS = java.util.Set.of(
      "1.3.14.3.2.26", "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3");
  private static final Provider BC = new BouncyCastleProvider();

  final X509Certificate signer;
  final List<X509Certificate> certificates;

  private CmsSignature(X509Certificate signer, List<X509Certificate> certificates) {
    this.signer = signer;
    this.certificates = certificates;
  }

  static CmsSignature verify(byte[] cms, CodeDirectory primary, List<CodeDirectory> all)
      throws SignatureMismatchException {
    try {
      CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(primary.bytes()), cms);
      if (signed.getSignedContent() == null) {
        throw new SignatureMismatchException("CMS signature does not sign the CodeDirectory");
      }
      Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
      if (signers.size() != 1) {
        throw new SignatureMismatchException("CMS signature has " + signers.size() + " signers, expected 1");
      }
      SignerInformation info = signers.iterator().next();
      Collection<X509CertificateHolder> holders = signed.getCertificates().getMatches(null);
      if (holders.size() > MAX_CERTIFICATES) {
        throw new SignatureMismatchException("CMS signature carries " + holders.size() + " certificates (at most "
            + MAX_CERTIFICATES + ")");
      }
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> matching = signed.getCertificates().getMatches(info.getSID());
      if (matching.size() != 1) {
        throw new SignatureMismatchException("CMS signature: the signer's certificate is "
            + (matching.isEmpty() ? "missing" : "ambiguous"));
      }
      X509CertificateHolder signerHolder = matching.iterator().next();
      if (!ACCEPTED_DIGESTS.contains(info.getDigestAlgOID())) {
        throw new SignatureMismatchException("CMS signature uses digest algorithm " + info.getDigestAlgOID()
            + ", which is not accepted (SHA-1, SHA-256, SHA-384, SHA-512)");
      }
      if (info.getSignedAttributes() == null) {
        throw new SignatureMismatchException("CMS signature has no signed attributes");
      }
      if (!info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(signerHolder))) {
        throw new SignatureMismatchException("CMS signature does not verify over the CodeDirectory");
      }
      checkCdhashes(info.getSignedAttributes(), all);
      JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
      List<X509Certificate> bag = new ArrayList<>();
      for (X509CertificateHolder h : holders) {
        bag.add(converter.getCertificate(h));
      }
      return new CmsSignature(converter.getCertificate(signerHolder), List.copyOf(bag));
    } catch (SignatureMismatchException e) {
      throw e;
    } catch (CertificateException e) {
      throw new SignatureMismatchException("CMS signature: a certificate it carries is not a valid X.509 certificate",
          e);
    } catch (Exception e) {
      // Bouncy Castle signals malformed input with checked and unchecked exceptions alike
      throw new SignatureMismatchException("CMS signature does not verify: its SignedData is malformed (an element"
          + " of its structure is not what PKCS#7 allows there)", e);
    }
  }

  /** Every CodeDirectory must be listed by each cdhashes attribute present; one must be present if there are several. */
  private static void checkCdhashes(AttributeTable attributes, List<CodeDirectory> all)
      throws SignatureMismatchException, MachOFormatException {
    Attribute plist = attributes.get(CDHASHES_PLIST);
    Attribute digests = attributes.get(CDHASHES_DIGESTS);
    if (plist == null && digests == null) {
      if (all.size() > 1) {
        throw new SignatureMismatchException("CMS signature has no cdhashes attribute: the alternate CodeDirectories are not signed");
      }
      return;
    }
    if (plist != null) {
      if (plist.getAttrValues().size() != 1 || !(plist.getAttrValues().getObjectAt(0) instanceof ASN1OctetString os)) {
        throw new SignatureMismatchException("CMS cdhashes attribute is not one OCTET STRING");
      }
      List<byte[]> listed = Plists.topLevelDataArray(os.getOctets(), "cdhashes");
      if (listed.size() != all.size()) {
        throw new SignatureMismatchException("CMS cdhashes attribute lists " + listed.size() + " CodeDirectories, the signature has "
            + all.size());
      }
      for (CodeDirectory cd : all) {
        byte[] cdhash = cd.cdhash();
        if (listed.stream().noneMatch(h -> MessageDigest.isEqual(h, cdhash))) {
          throw new SignatureMismatchException("the " + cd.hashType.label + " CodeDirectory (cdhash "
              + HexFormat.of().formatHex(cdhash) + ") is not listed in the signed cdhashes");
        }
      }
    }
    if (digests != null) {
      List<byte[][]> entries = new ArrayList<>();
      for (ASN1Encodable value : digests.getAttrValues()) {
        ASN1Sequence seq = ASN1Sequence.getInstance(value);
        if (seq.size() != 2) {
          throw new SignatureMismatchException("CMS cdhash digest entry is not (algorithm, digest)");
        }
        String oid = ASN1ObjectIdentifier.getInstance(seq.getObjectAt(0)).getId();
        byte[] digest = ASN1OctetString.getInstance(seq.getObjectAt(1)).getOctets();
        entries.add(new byte[][] {oid.getBytes(java.nio.charset.StandardCharsets.US_ASCII), digest});
      }
      for (byte[][] entry : entries) {
        String oid = new String(entry[0], java.nio.charset.StandardCharsets.US_ASCII);
        boolean matched = all.stream().anyMatch(cd -> oid.equals(oidOf(cd.hashType))
            && entry[1].length >= 20 && MessageDigest.isEqual(entry[1], Arrays.copyOf(cd.fullHash(), entry[1].length)));
        if (!matched) {
          throw new SignatureMismatchException("CMS cdhash digest entry (" + oid + ") matches no CodeDirectory");
        }
      }
      if (plist == null) {
        for (CodeDirectory cd : all) {
          boolean listed = entries.stream().anyMatch(e -> oidOf(cd.hashType).equals(new String(e[0],
              java.nio.charset.StandardCharsets.US_ASCII)) && e[1].length >= 20
              && MessageDigest.isEqual(e[1], Arrays.copyOf(cd.fullHash(), e[1].length)));
          if (!listed) {
            throw new SignatureMismatchException("the " + cd.hashType.label
                + " CodeDirectory is not listed in the signed cdhash digests");
          }
        }
      }
    }
  }

  private static String oidOf(HashType type) {
    return switch (type) {
      case SHA1 -> "1.3.14.3.2.26";
      case SHA256, SHA256_TRUNCATED -> "2.16.840.1.101.3.4.2.1";
      case SHA384 -> "2.16.840.1.101.3.4.2.2";
    };
  }
}
