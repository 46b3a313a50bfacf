package dev.peerid.windows.authenticode;

import dev.peerid.TrustEntry;
import dev.peerid.TrustStore;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * Decides whether a signing certificate chains to the trust store at a given time: pinned directly
 * (the certificate itself or its key is an entry) or through a PKIX path, built only from the
 * certificates the signature carries, to a certificate anchor or a pinned CA key. Revocation lists
 * are not fetched (no network); the trust store's own revocations are checked on every certificate
 * of the chain.
 */
final class ChainValidator {
  static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
  static final String TIME_STAMPING = "1.3.6.1.5.5.7.3.8";
  private static final int MAX_DEPTH = 8;

  private final TrustStore trust;

  ChainValidator(TrustStore trust) {
    this.trust = trust;
  }

  /** How a chain came out. {@code trustName} is present only when trusted. */
  record Outcome(List<X509Certificate> chain, Optional<String> trustName, boolean revoked, String reason) {
    boolean trusted() {
      return trustName.isPresent() && !revoked;
    }
  }

  /** Leaf usage rules: an EKU extension, when present, must name {@code purpose}; key usage must allow signing. */
  static Optional<String> usageProblem(X509Certificate leaf, String purpose) {
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      if (eku != null && !eku.contains(purpose)) {
        return Optional.of("certificate " + subject(leaf) + " has an extended key usage without "
            + (purpose.equals(CODE_SIGNING) ? "code signing" : "time stamping") + " (" + purpose + ")");
      }
    } catch (CertificateParsingException e) {
      return Optional.of("certificate " + subject(leaf) + " has a malformed extended key usage extension");
    }
    boolean[] ku = leaf.getKeyUsage();
    if (ku != null && !ku[0]) {
      return Optional.of("certificate " + subject(leaf) + " key usage does not allow digital signatures");
    }
    return Optional.empty();
  }

  Outcome validate(X509Certificate leaf, Collection<X509Certificate> carried, Date at) {
    Optional<TrustEntry> pinned = trust.entryFor(leaf);
    if (pinned.isPresent()) {
      List<X509Certificate> chain = bestEffortChain(leaf, carried);
      boolean revoked = anyRevoked(chain);
      try {
        leaf.checkValidity(at);
      } catch (CertificateExpiredException | CertificateNotYetValidException e) {
        return new Outcome(chain, Optional.empty(), revoked, "pinned certificate " + subject(leaf)
            + " is not valid at " + at.toInstant() + " (valid " + leaf.getNotBefore().toInstant() + " to "
            + leaf.getNotAfter().toInstant() + ")");
      }
      return new Outcome(chain, Optional.of(pinned.get().name()), revoked, revoked ? revokedReason(chain) : null);
    }
    Optional<Outcome> direct = validateDirectPath(leaf, carried, at);
    if (direct.isPresent()) {
      return direct.get();
    }
    Set<TrustAnchor> anchors = anchors(leaf, carried);
    if (anchors.isEmpty()) {
      List<X509Certificate> chain = bestEffortChain(leaf, carried);
      boolean revoked = anyRevoked(chain);
      return new Outcome(chain, Optional.empty(), revoked,
          revoked ? revokedReason(chain) : "the trust store has no certificate or key this signer could chain to");
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(leaf);
      PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
      params.setRevocationEnabled(false);
      params.setDate(at);
      params.setMaxPathLength(MAX_DEPTH);
      List<X509Certificate> pool = new ArrayList<>(carried);
      pool.add(leaf);
      params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
      PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
      List<X509Certificate> chain = new ArrayList<>();
      result.getCertPath().getCertificates().forEach(c -> chain.add((X509Certificate) c));
      TrustAnchor anchor = result.getTrustAnchor();
      if (anchor.getTrustedCert() != null && !chain.contains(anchor.getTrustedCert())) {
        chain.add(anchor.getTrustedCert());
      }
      Optional<TrustEntry> entry = anchor.getTrustedCert() != null
          ? trust.entryFor(anchor.getTrustedCert())
          : trust.entryForKey(anchor.getCAPublicKey());
      boolean revoked = anyRevoked(chain) || trust.isRevoked(anchor.getCAPublicKey());
      if (entry.isEmpty()) {
        return new Outcome(chain, Optional.empty(), revoked, "chain anchor is not a trust-store entry");
      }
      return new Outcome(chain, Optional.of(entry.get().name()), revoked, revoked ? revokedReason(chain) : null);
    } catch (CertPathBuilderException e) {
      List<X509Certificate> chain = bestEffortChain(leaf, carried);
      boolean revoked = anyRevoked(chain);
      return new Outcome(chain, Optional.empty(), revoked, revoked ? revokedReason(chain)
          : "no trusted chain for " + subject(leaf) + " at " + at.toInstant() + ": "
              + validityProblem(chain, at).orElse(rootCause(e)));
    } catch (InvalidAlgorithmParameterException | NoSuchAlgorithmException e) {
      return new Outcome(List.of(leaf), Optional.empty(), anyRevoked(List.of(leaf)),
          "the certificate chain could not be built (this JDK has no PKIX path builder)");
    }
  }

  /**
   * The common case, cheaply: the issuer chain the signature carries reaches a certificate entry of
   * the trust store, and that exact path validates (PKIX, at {@code at}). Anything else (no such
   * anchor, a path that does not validate, key-only entries) is left to the full path builder.
   */
  private Optional<Outcome> validateDirectPath(X509Certificate leaf, Collection<X509Certificate> carried, Date at) {
    List<X509Certificate> carriedChain = bestEffortChain(leaf, carried);
    for (int i = 0; i < carriedChain.size(); i++) {
      X509Certificate c = carriedChain.get(i);
      for (TrustEntry e : trust.entries()) {
        if (e.certificate().isEmpty()) {
          continue;
        }
        X509Certificate anchor = e.certificate().get();
        boolean anchorIsIssuer = anchor.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && signedBy(c, anchor);
        boolean anchorIsThis = i > 0 && anchor.equals(c);
        if (!anchorIsIssuer && !anchorIsThis) {
          continue;
        }
        List<X509Certificate> path = carriedChain.subList(0, anchorIsThis ? i : i + 1);
        try {
          PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
          params.setRevocationEnabled(false);
          params.setDate(at);
          CertPathValidator.getInstance("PKIX").validate(
              CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException notThisWay) {
          continue;
        }
        List<X509Certificate> chain = new ArrayList<>(path);
        chain.add(anchor);
        boolean revoked = anyRevoked(chain);
        return Optional.of(new Outcome(chain, Optional.of(e.name()), revoked, revoked ? revokedReason(chain) : null));
      }
    }
    return Optional.empty();
  }

  /** Certificate entries, plus each key-only entry as an anchor for every issuer name the signature carries. */
  private Set<TrustAnchor> anchors(X509Certificate leaf, Collection<X509Certificate> carried) {
    Set<TrustAnchor> anchors = new LinkedHashSet<>(trust.anchors());
    Set<X500Principal> issuers = new LinkedHashSet<>();
    issuers.add(leaf.getIssuerX500Principal());
    carried.forEach(c -> issuers.add(c.getIssuerX500Principal()));
    for (TrustEntry e : trust.entries()) {
      if (e.certificate().isEmpty()) {
        for (X500Principal issuer : issuers) {
          anchors.add(new TrustAnchor(issuer, e.publicKey(), null));
        }
      }
    }
    return anchors;
  }

  /** Leaf, then issuers found among the carried certificates by name and signature, for reports and revocation. */
  static List<X509Certificate> bestEffortChain(X509Certificate leaf, Collection<X509Certificate> carried) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    X509Certificate current = leaf;
    while (chain.size() < MAX_DEPTH && !current.getIssuerX500Principal().equals(current.getSubjectX500Principal())) {
      X509Certificate issuer = null;
      for (X509Certificate c : carried) {
        if (!chain.contains(c) && c.getSubjectX500Principal().equals(current.getIssuerX500Principal())
            && signedBy(current, c)) {
          issuer = c;
          break;
        }
      }
      if (issuer == null) {
        break;
      }
      chain.add(issuer);
      current = issuer;
    }
    return chain;
  }

  private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Names the first certificate that is not valid at {@code at}: the likeliest reason a path was not found. */
  private static Optional<String> validityProblem(List<X509Certificate> chain, Date at) {
    for (X509Certificate c : chain) {
      if (at.before(c.getNotBefore()) || at.after(c.getNotAfter())) {
        return Optional.of("certificate " + subject(c) + " is not valid then (valid from "
            + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant() + ")");
      }
    }
    return Optional.empty();
  }

  private boolean anyRevoked(List<X509Certificate> chain) {
    return chain.stream().anyMatch(trust::isRevoked);
  }

  private String revokedReason(List<X509Certificate> chain) {
    return chain.stream().filter(trust::isRevoked).findFirst()
        .map(c -> "certificate " + subject(c) + " is revoked by the trust store").orElse("revoked");
  }

  static String subject(X509Certificate c) {
    return "'" + c.getSubjectX500Principal().getName() + "'";
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}
