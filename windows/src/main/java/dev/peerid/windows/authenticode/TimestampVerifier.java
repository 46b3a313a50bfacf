package dev.peerid.windows.authenticode;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.tsp.TSTInfo;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.util.Store;

/**
 * Verifies the timestamps of a signer: RFC 3161 tokens (Microsoft's unsigned attribute
 * 1.3.6.1.4.1.311.3.3.1) and PKCS#9 countersignatures (1.2.840.113549.1.9.6). A timestamp counts
 * only when its signature verifies, it covers this signer's signature value, and the TSA chains to
 * the trust store at the stamped time. A timestamp that fails any of these is ignored with a note:
 * the chain is then checked at the current time, which can only refuse more, never accept more.
 */
final class TimestampVerifier {
  static final ASN1ObjectIdentifier RFC3161 = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.3.3.1");
  static final ASN1ObjectIdentifier COUNTER_SIGNATURE = CMSAttributes.counterSignature;
  static final ASN1ObjectIdentifier TST_INFO = new ASN1ObjectIdentifier("1.2.840.113549.1.9.16.1.4");
  private static final int MAX_TIMESTAMPS = 4;

  private final ChainValidator chains;

  TimestampVerifier(ChainValidator chains) {
    this.chains = chains;
  }

  /** The trusted time, if any, and notes on timestamps that were present but not used. */
  record Outcome(Optional<Date> time, String kind, List<String> notes) {}

  Outcome verify(SignerInformation signer, Store<X509CertificateHolder> outerCertificates) {
    List<String> notes = new ArrayList<>();
    AttributeTable unsigned = signer.getUnsignedAttributes();
    if (unsigned == null) {
      return new Outcome(Optional.empty(), null, notes);
    }
    int seen = 0;
    for (ASN1Encodable value : values(unsigned, RFC3161)) {
      if (++seen > MAX_TIMESTAMPS) {
        notes.add("more than " + MAX_TIMESTAMPS + " timestamps; the rest were not checked");
        break;
      }
      try {
        Date time = verifyRfc3161(value, signer, outerCertificates);
        return new Outcome(Optional.of(time), "rfc3161", notes);
      } catch (Exception e) {
        notes.add("RFC 3161 timestamp ignored: " + message(e));
      }
    }
    try {
      for (SignerInformation counter : signer.getCounterSignatures().getSigners()) {
        if (++seen > MAX_TIMESTAMPS) {
          notes.add("more than " + MAX_TIMESTAMPS + " timestamps; the rest were not checked");
          break;
        }
        try {
          Date time = verifyCountersignature(counter, signer.getSignature(), outerCertificates);
          return new Outcome(Optional.of(time), "pkcs9", notes);
        } catch (Exception e) {
          notes.add("PKCS#9 countersignature ignored: " + message(e));
        }
      }
    } catch (RuntimeException e) {
      notes.add("PKCS#9 countersignature ignored: malformed (" + message(e) + ")");
    }
    return new Outcome(Optional.empty(), null, notes);
  }

  private Date verifyRfc3161(ASN1Encodable value, SignerInformation signer, Store<X509CertificateHolder> outer)
      throws Exception {
    // Parsed by hand rather than with TimeStampToken, whose constructor and validate() refuse real
    // tokens (a signing-time attribute different from genTime, a non-critical EKU on older TSAs).
    CMSSignedData cms = new CMSSignedData(ContentInfo.getInstance(value));
    if (!TST_INFO.getId().equals(cms.getSignedContentTypeOID()) || cms.getSignedContent() == null
        || !(cms.getSignedContent().getContent() instanceof byte[] content)) {
      throw new IllegalStateException("not an RFC 3161 TSTInfo token");
    }
    Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
    if (signers.size() != 1) {
      throw new IllegalStateException(signers.size() + " signers, expected 1");
    }
    SignerInformation tsaSigner = signers.iterator().next();
    @SuppressWarnings("unchecked")
    Collection<X509CertificateHolder> matches = cms.getCertificates().getMatches(tsaSigner.getSID());
    if (matches.isEmpty()) {
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> outerMatches = outer.getMatches(tsaSigner.getSID());
      matches = outerMatches;
    }
    if (matches.isEmpty()) {
      throw new IllegalStateException("the TSA certificate is not in the token");
    }
    X509Certificate tsa = Certificates.toJdk(matches.iterator().next());
    if (!tsaSigner.verify(new JcaSimpleSignerInfoVerifierBuilder().build(tsa.getPublicKey()))) {
      throw new IllegalStateException("its signature does not verify");
    }
    TSTInfo info = TSTInfo.getInstance(ASN1Primitive.fromByteArray(content));
    ASN1ObjectIdentifier imprintAlg = info.getMessageImprint().getHashAlgorithm().getAlgorithm();
    String alg = DigestAlgorithms.jdkName(imprintAlg)
        .orElseThrow(() -> new IllegalStateException("unsupported message imprint algorithm " + imprintAlg));
    byte[] expected = MessageDigest.getInstance(alg).digest(signer.getSignature());
    if (!MessageDigest.isEqual(expected, info.getMessageImprint().getHashedMessage())) {
      throw new IllegalStateException("its message imprint does not cover this signature");
    }
    Date time = info.getGenTime().getDate();
    List<X509Certificate> pool = Certificates.all(cms.getCertificates());
    pool.addAll(Certificates.all(outer));
    requireTrustedTsa(tsa, pool, time);
    return time;
  }

  private Date verifyCountersignature(SignerInformation counter, byte[] parentSignature,
      Store<X509CertificateHolder> outer) throws Exception {
    @SuppressWarnings("unchecked")
    Collection<X509CertificateHolder> matches = outer.getMatches(counter.getSID());
    if (matches.isEmpty()) {
      throw new IllegalStateException("the countersigner's certificate is not in the signature");
    }
    X509CertificateHolder tsa = matches.iterator().next();
    AttributeTable signed = counter.getSignedAttributes();
    if (signed == null) {
      throw new IllegalStateException("it has no signed attributes");
    }
    Countersignatures.verify(counter, parentSignature, Certificates.toJdk(tsa));
    Attribute signingTime = signed == null ? null : signed.get(CMSAttributes.signingTime);
    if (signingTime == null || signingTime.getAttrValues().size() != 1) {
      throw new IllegalStateException("it has no single signing-time attribute");
    }
    Date time = Time.getInstance(signingTime.getAttrValues().getObjectAt(0)).getDate();
    requireTrustedTsa(Certificates.toJdk(tsa), Certificates.all(outer), time);
    return time;
  }

  private void requireTrustedTsa(X509Certificate tsa, List<X509Certificate> pool, Date time) {
    Optional<String> usage = ChainValidator.usageProblem(tsa, ChainValidator.TIME_STAMPING);
    if (usage.isPresent()) {
      throw new IllegalStateException(usage.get());
    }
    ChainValidator.Outcome chain = chains.validate(tsa, pool, time);
    if (!chain.trusted()) {
      throw new IllegalStateException("the time-stamping authority is not trusted (" + chain.reason() + ")");
    }
  }

  private static List<ASN1Encodable> values(AttributeTable table, ASN1ObjectIdentifier oid) {
    List<ASN1Encodable> out = new ArrayList<>();
    org.bouncycastle.asn1.ASN1EncodableVector attributes = table.getAll(oid);
    for (int i = 0; i < attributes.size(); i++) {
      for (ASN1Encodable v : Attribute.getInstance(attributes.get(i)).getAttrValues().toArray()) {
        out.add(v);
      }
    }
    return out;
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return m != null && !m.isBlank() ? m : e.getClass().getSimpleName();
  }
}
