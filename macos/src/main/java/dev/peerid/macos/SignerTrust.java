package dev.peerid.macos;

import dev.peerid.SignatureStatus;
import dev.peerid.TrustEntry;
import dev.peerid.TrustStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Decides who vouches for a verified CMS signer: a trust-store entry (pinned certificate or key,
 * or a CA certificate that issued the chain's top), and whether the chain ends at one of Apple's
 * roots ({@code apple} for Apple's own code-signing CA, {@code apple-generic} otherwise).
 */
final class SignerTrust {
  static final String CODE_SIGNING_EKU = "1.3.6.1.5.5.7.3.3";
  /** The intermediate that issues the certificates Apple signs its own software with. */
  static final String APPLE_CODE_SIGNING_CA = "Apple Code Signing Certification Authority";

  final SignatureStatus status;
  final List<String> reasons;
  final List<X509Certificate> chain;
  final Optional<String> trustName;
  final Optional<String> appleAnchor;
  final Optional<String> teamId;

  private SignerTrust(SignatureStatus status, List<String> reasons, List<X509Certificate> chain,
      Optional<String> trustName, Optional<String> appleAnchor, Optional<String> teamId) {
    this.status = status;
    this.reasons = List.copyOf(reasons);
    this.chain = List.copyOf(chain);
    this.trustName = trustName;
    this.appleAnchor = appleAnchor;
    this.teamId = teamId;
  }

  static SignerTrust evaluate(CmsSignature cms, TrustStore trust) throws SignatureMismatchException {
    return evaluate(cms.signer, cms.certificates, trust);
  }

  /** Evaluates a signer whose signature was already verified, given the certificates that came with it. */
  static SignerTrust evaluate(X509Certificate signer, List<X509Certificate> certificates, TrustStore trust)
      throws SignatureMismatchException {
    try {
      return evaluateChain(signer, certificates, trust);
    } catch (RuntimeException e) {
      // certificates are not covered by the CMS signature: a malformed one must deny, not escape
      throw new SignatureMismatchException("a certificate of the CMS signature cannot be read (it is not a valid"
          + " X.509 certificate)", e);
    }
  }

  private static SignerTrust evaluateChain(X509Certificate signer, List<X509Certificate> certificates,
      TrustStore trust) throws SignatureMismatchException {
    List<X509Certificate> chain = new ArrayList<>(SignerChain.build(signer, certificates));
    X509Certificate leaf = chain.get(0);
    checkLeaf(leaf);
    for (int i = 1; i < chain.size(); i++) {
      if (chain.get(i).getBasicConstraints() < 0) {
        throw new SignatureMismatchException("certificate " + subject(chain.get(i)) + " issues the chain but is not a CA");
      }
    }
    X509Certificate top = chain.get(chain.size() - 1);
    Optional<X509Certificate> appleRoot = AppleRoots.anchorFor(top);
    if (appleRoot.isPresent() && !SignerChain.isSelfIssued(top)) {
      chain.add(appleRoot.get());
    }
    Optional<String> appleAnchor = appleRoot.map(r -> isAppleIssued(chain) ? "apple" : "apple-generic");
    // a team id means something only when a trusted root vouches for the certificate that names it
    Optional<String> teamId = appleRoot.isPresent() ? attribute(leaf, BCStyle.OU) : Optional.empty();

    for (X509Certificate c : chain) {
      if (trust.isRevoked(c)) {
        return new SignerTrust(SignatureStatus.REVOKED, List.of("certificate " + subject(c) + " is revoked"), chain,
            Optional.empty(), appleAnchor, teamId);
      }
    }
    Optional<String> trustName = Optional.empty();
    for (X509Certificate c : chain) {
      Optional<TrustEntry> e = trust.entryFor(c);
      if (e.isPresent()) {
        trustName = Optional.of(e.get().name());
        break;
      }
    }
    if (trustName.isEmpty()) {
      X509Certificate last = chain.get(chain.size() - 1);
      for (TrustEntry e : trust.entries()) {
        if (e.certificate().filter(anchor -> SignerChain.issued(anchor, last)).isPresent()) {
          if (trust.isRevoked(e.certificate().get())) {
            return new SignerTrust(SignatureStatus.REVOKED, List.of("anchor " + e.name() + " is revoked"), chain,
                Optional.empty(), appleAnchor, teamId);
          }
          chain.add(e.certificate().get());
          trustName = Optional.of(e.name());
          break;
        }
      }
    }
    if (trustName.isPresent()) {
      return new SignerTrust(SignatureStatus.VALID, List.of(), chain, trustName, appleAnchor,
          attribute(leaf, BCStyle.OU));
    }
    String reason = appleAnchor.isPresent()
        ? "signer " + subject(leaf) + " chains to Apple's root but no trust-store entry vouches for it"
            + " ('anchor apple generic and team = \"…\"' accepts Apple-issued signers without one)"
        : "signer " + subject(leaf) + " does not chain to a trusted certificate";
    return new SignerTrust(SignatureStatus.UNTRUSTED, List.of(reason), chain, Optional.empty(), appleAnchor, teamId);
  }

  private static void checkLeaf(X509Certificate leaf) throws SignatureMismatchException {
    boolean[] usage = leaf.getKeyUsage();
    if (usage != null && !usage[0]) {
      throw new SignatureMismatchException("signing certificate " + subject(leaf) + " may not make digital signatures");
    }
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku != null && !eku.contains(CODE_SIGNING_EKU)) {
        throw new SignatureMismatchException("signing certificate " + subject(leaf) + " is not for code signing");
      }
    } catch (CertificateParsingException e) {
      throw new SignatureMismatchException("signing certificate has an unreadable extended key usage", e);
    }
  }

  private static boolean isAppleIssued(List<X509Certificate> chain) {
    return chain.size() >= 3
        && attribute(chain.get(1), BCStyle.CN).filter(APPLE_CODE_SIGNING_CA::equals).isPresent()
        && attribute(chain.get(0), BCStyle.O).filter("Apple Inc."::equals).isPresent();
  }

  static Optional<String> attribute(X509Certificate c, org.bouncycastle.asn1.ASN1ObjectIdentifier type) {
    RDN[] rdns = X500Name.getInstance(c.getSubjectX500Principal().getEncoded()).getRDNs(type);
    if (rdns.length == 0) {
      return Optional.empty();
    }
    org.bouncycastle.asn1.ASN1Encodable value = rdns[0].getFirst().getValue();
    return Optional.of(value instanceof org.bouncycastle.asn1.ASN1String s ? s.getString() : IETFUtils.valueToString(value));
  }

  static String subject(X509Certificate c) {
    return c.getSubjectX500Principal().getName();
  }
}
