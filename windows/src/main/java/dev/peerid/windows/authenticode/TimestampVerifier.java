package dev.peerid.windows.authenticode;

import dev.peerid.Timestamp;
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
 * only when its signature verifies, it covers this signer's signature value, its signer has the
 * time-stamping usage, and it chains to a trusted <em>timestamp authority</em>
 * ({@code TrustStore.timestampTrust()}) at the time it states. Publisher entries never vouch for a
 * timestamp. A timestamp that fails any of these is ignored with a reason: the chain is then checked
 * at the current time, which can only refuse more, never accept more.
 */
final class TimestampVerifier {
  static final ASN1ObjectIdentifier RFC3161 = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.3.3.1");
  static final ASN1ObjectIdentifier COUNTER_SIGNATURE = CMSAttributes.counterSignature;
  static final ASN1ObjectIdentifier TST_INFO = new ASN1ObjectIdentifier("1.2.840.113549.1.9.16.1.4");
  private static final int MAX_TIMESTAMPS = 4;

  private final ChainValidator authorities;
  private final ChainValidator publishers;

  /**
   * @param authorities chains to the trusted timestamp authorities: the only ones that count
   * @param publishers  chains to the publisher entries, only to say so when a timestamp's authority
   *                    is trusted as a publisher and not as a timestamp authority
   */
  TimestampVerifier(ChainValidator authorities, ChainValidator publishers) {
    this.authorities = authorities;
    this.publishers = publishers;
  }

  /**
   * The trusted time, if any; notes on timestamps that were present but not used; every timestamp
   * seen; remarks to keep even when a timestamp counted (a legacy form that was accepted).
   */
  record Outcome(Optional<Date> time, String kind, List<String> notes, List<Timestamp> timestamps,
      List<String> remarks) {}

  /** What one timestamp told before it was accepted or refused. */
  private static final class Seen {
    Date time;
    String authority;
  }

  Outcome verify(SignerInformation signer, Store<X509CertificateHolder> outerCertificates, String label) {
    List<String> notes = new ArrayList<>();
    List<Timestamp> timestamps = new ArrayList<>();
    List<String> remarks = new ArrayList<>();
    Date counted = null;
    String countedKind = null;
    AttributeTable unsigned = signer.getUnsignedAttributes();
    if (unsigned == null) {
      return new Outcome(Optional.empty(), null, notes, timestamps, List.of());
    }
    int seenCount = 0;
    for (ASN1Encodable value : values(unsigned, RFC3161)) {
      if (++seenCount > MAX_TIMESTAMPS) {
        notes.add("more than " + MAX_TIMESTAMPS + " timestamps; the rest were not checked");
        break;
      }
      Seen seen = new Seen();
      try {
        verifyRfc3161(value, signer, outerCertificates, seen);
        timestamps.add(Timestamp.counted(label, "rfc3161", seen.time.toInstant(), seen.authority));
        if (counted == null) {
          counted = seen.time;
          countedKind = "rfc3161";
        }
      } catch (Exception e) {
        String reason = "RFC 3161 timestamp ignored: " + readable(e, "its token is malformed");
        notes.add(reason);
        timestamps.add(ignored(label, "rfc3161", seen, reason));
      }
    }
    try {
      for (SignerInformation counter : signer.getCounterSignatures().getSigners()) {
        if (++seenCount > MAX_TIMESTAMPS) {
          notes.add("more than " + MAX_TIMESTAMPS + " timestamps; the rest were not checked");
          break;
        }
        Seen seen = new Seen();
        try {
          if (verifyCountersignature(counter, signer.getSignature(), outerCertificates, seen)) {
            remarks.add("PKCS#9 countersignature by '" + seen.authority + "' is RSA over a bare SHA-1 digest (no"
                + " DigestInfo), a legacy form of old time-stamping services that Windows accepts; accepted");
          }
          timestamps.add(Timestamp.counted(label, "pkcs9", seen.time.toInstant(), seen.authority));
          if (counted == null) {
            counted = seen.time;
            countedKind = "pkcs9";
          }
        } catch (Exception e) {
          String reason = "PKCS#9 countersignature ignored: " + readable(e, "it is malformed");
          notes.add(reason);
          timestamps.add(ignored(label, "pkcs9", seen, reason));
        }
      }
    } catch (RuntimeException e) {
      Diagnostics.debug("PKCS#9 countersignature", e);
      String reason = "PKCS#9 countersignature ignored: the countersignature attribute is malformed";
      notes.add(reason);
      timestamps.add(Timestamp.ignored(label, "pkcs9", Optional.empty(), Optional.empty(), reason));
    }
    // a note on an ignored timestamp matters only when no other timestamp counted
    return new Outcome(Optional.ofNullable(counted), countedKind, counted == null ? notes : List.of(), timestamps,
        remarks);
  }

  private static Timestamp ignored(String label, String kind, Seen seen, String reason) {
    return Timestamp.ignored(label, kind, Optional.ofNullable(seen.time).map(Date::toInstant),
        Optional.ofNullable(seen.authority), reason);
  }

  private void verifyRfc3161(ASN1Encodable value, SignerInformation signer, Store<X509CertificateHolder> outer,
      Seen seen) throws Exception {
    // Parsed by hand rather than with TimeStampToken, whose constructor and validate() refuse real
    // tokens (a signing-time attribute different from genTime, a non-critical EKU on older TSAs).
    CMSSignedData cms = new CMSSignedData(ContentInfo.getInstance(value));
    if (!TST_INFO.getId().equals(cms.getSignedContentTypeOID()) || cms.getSignedContent() == null
        || !(cms.getSignedContent().getContent() instanceof byte[] content)) {
      throw new Refusal("not an RFC 3161 TSTInfo token");
    }
    Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
    if (signers.size() != 1) {
      throw new Refusal(signers.size() + " signers, expected 1");
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
      throw new Refusal("the TSA certificate is not in the token");
    }
    X509Certificate tsa = Certificates.toJdk(matches.iterator().next());
    seen.authority = tsa.getSubjectX500Principal().getName();
    TSTInfo info = TSTInfo.getInstance(ASN1Primitive.fromByteArray(content));
    seen.time = info.getGenTime().getDate();
    if (!tsaSigner.verify(new JcaSimpleSignerInfoVerifierBuilder().build(tsa.getPublicKey()))) {
      throw new Refusal("its signature does not verify");
    }
    ASN1ObjectIdentifier imprintAlg = info.getMessageImprint().getHashAlgorithm().getAlgorithm();
    String alg = DigestAlgorithms.jdkName(imprintAlg)
        .orElseThrow(() -> new IllegalStateException("unsupported message imprint algorithm " + imprintAlg));
    byte[] expected = MessageDigest.getInstance(alg).digest(signer.getSignature());
    if (!MessageDigest.isEqual(expected, info.getMessageImprint().getHashedMessage())) {
      throw new Refusal("its message imprint does not cover this signature");
    }
    List<X509Certificate> pool = Certificates.all(cms.getCertificates());
    pool.addAll(Certificates.all(outer));
    requireTrustedAuthority(tsa, pool, seen.time);
  }

  /** True when the countersignature is the legacy bare-digest form ({@link Countersignatures#verify}). */
  private boolean verifyCountersignature(SignerInformation counter, byte[] parentSignature,
      Store<X509CertificateHolder> outer, Seen seen) throws Exception {
    @SuppressWarnings("unchecked")
    Collection<X509CertificateHolder> matches = outer.getMatches(counter.getSID());
    if (matches.isEmpty()) {
      throw new Refusal("the countersigner's certificate is not in the signature");
    }
    X509Certificate tsa = Certificates.toJdk(matches.iterator().next());
    seen.authority = tsa.getSubjectX500Principal().getName();
    AttributeTable signed = counter.getSignedAttributes();
    if (signed == null) {
      throw new Refusal("it has no signed attributes");
    }
    Attribute signingTime = signed.get(CMSAttributes.signingTime);
    if (signingTime == null || signingTime.getAttrValues().size() != 1) {
      throw new Refusal("it has no single signing-time attribute");
    }
    seen.time = Time.getInstance(signingTime.getAttrValues().getObjectAt(0)).getDate();
    boolean legacy = Countersignatures.verify(counter, parentSignature, tsa);
    requireTrustedAuthority(tsa, Certificates.all(outer), seen.time);
    return legacy;
  }

  /** The time-stamping usage, then a chain to a timestamp anchor at the stated time. */
  private void requireTrustedAuthority(X509Certificate tsa, List<X509Certificate> pool, Date time) throws Refusal {
    Optional<String> usage = timeStampingUsageProblem(tsa);
    if (usage.isPresent()) {
      throw new Refusal(usage.get());
    }
    ChainValidator.Outcome chain = authorities.validate(tsa, pool, time);
    if (chain.trusted()) {
      return;
    }
    String why = chain.revoked() ? chain.reason()
        : "its authority " + ChainValidator.subject(tsa) + " is not a trusted timestamp authority (--trust-tsa)";
    ChainValidator.Outcome asPublisher = publishers.validate(tsa, pool, time);
    if (!chain.revoked() && asPublisher.trusted()) {
      why += "; it chains to the publisher entry '" + asPublisher.trustName().get()
          + "', and publisher entries never vouch for timestamps";
    } else if (!chain.revoked() && chain.reason() != null && !chain.reason().startsWith("the trust store has no")) {
      why += " (" + chain.reason() + ")";
    }
    throw new Refusal(why);
  }

  /** Unlike a code signer's, a timestamp signer's certificate must name the time-stamping usage. */
  private static Optional<String> timeStampingUsageProblem(X509Certificate tsa) {
    try {
      if (tsa.getExtendedKeyUsage() == null) {
        return Optional.of("its authority " + ChainValidator.subject(tsa)
            + " has no extended key usage, so not time stamping (" + ChainValidator.TIME_STAMPING + ")");
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return Optional.of("its authority " + ChainValidator.subject(tsa) + " has a malformed extended key usage");
    }
    return ChainValidator.usageProblem(tsa, ChainValidator.TIME_STAMPING);
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

  /** A refusal in words, from this verifier or {@link Countersignatures}: its message is the reason. */
  static final class Refusal extends Exception {
    Refusal(String message) {
      super(message);
    }
  }

  /** Our own refusals as they are; anything thrown by a parser becomes {@code otherwise}, logged for debugging. */
  private static String readable(Exception e, String otherwise) {
    if (e instanceof Refusal) {
      return e.getMessage();
    }
    Diagnostics.debug("timestamp: " + otherwise, e);
    return otherwise;
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return m != null && !m.isBlank() ? m : e.getClass().getSimpleName();
  }
}
