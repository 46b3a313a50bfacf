package dev.peerid;

import static dev.peerid.PolicyExpr.quote;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;

/**
 * Predicates on the code signature and its signer. Every fact a signature carries (trust name,
 * team, identifier, certificates, Apple anchor, hardened runtime, entitlements) counts only when
 * the signature is {@link SignatureStatus#VALID} (or verified up to Apple's pinned root, see
 * {@link SignatureFacts#signerFactsCount}): an untrusted or broken signature can claim anything.
 */
final class SignaturePredicates {
  private SignaturePredicates() {}

  /** The failure of {@code clause} when the signature is not valid, or empty when it is. */
  static Optional<PolicyOutcome> unlessValid(String clause, CodeSignature signature) {
    if (SignatureFacts.signerFactsCount(signature)) {
      return Optional.empty();
    }
    return Optional.of(PolicyOutcome.fails(clause + " does not hold: " + SignatureFacts.status(signature)
        + "; signer facts count only for a valid signature (or one verified up to Apple's root)"));
  }

  /**
   * Evaluates a clause about signer facts on each slice of a universal Mach-O file, which are signed
   * on their own: it holds for the file only when it holds for every slice. Any other signature is
   * tested once.
   */
  static PolicyOutcome everySlice(PeerIdentity identity, String clause,
      java.util.function.Function<PeerIdentity, PolicyOutcome> test) {
    List<CodeSignature.Slice> slices = identity.signature().slices();
    if (slices.size() <= 1) {
      return test.apply(identity);
    }
    List<String> failures = new java.util.ArrayList<>();
    for (CodeSignature.Slice slice : slices) {
      PolicyOutcome outcome = test.apply(identity.withSignature(slice.signature()));
      if (!outcome.holds()) {
        failures.add(slice.architecture() + ": " + String.join("; ", outcome.reasons()));
      }
    }
    String architectures = String.join(", ", slices.stream().map(CodeSignature.Slice::architecture).toList());
    if (failures.isEmpty()) {
      return PolicyOutcome.holds(clause + " (for every slice: " + architectures + ")");
    }
    return PolicyOutcome.fails(clause + " does not hold for every slice of the universal file (" + architectures
        + "): " + String.join(" | ", failures));
  }

  /** {@code signed}. */
  record Signed() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      String status = SignatureFacts.status(signature);
      return signature.isValid() ? PolicyOutcome.holds("signed: " + status) : PolicyOutcome.fails(status);
    }

    @Override
    public String describe() {
      return "signed";
    }
  }

  /** {@code signed by "name"}: valid, and some signer is vouched for by the trust entry of that name. */
  record SignedBy(String trustName) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), this::evaluateOne);
    }

    private PolicyOutcome evaluateOne(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      if (!signature.isValid()) {
        return PolicyOutcome.fails(SignatureFacts.status(signature) + " (policy requires " + describe() + ")");
      }
      for (Signer signer : signature.signers()) {
        if (signer.trustName().filter(trustName::equals).isPresent()) {
          return PolicyOutcome.holds(describe() + ": " + SignatureFacts.signer(signer));
        }
      }
      List<String> names = signature.signers().stream().flatMap(s -> s.trustName().stream()).map(PolicyExpr::quote)
          .distinct().toList();
      return PolicyOutcome.fails(describe() + " does not hold: the signature is valid but trusted through "
          + (names.isEmpty() ? "no named entry" : String.join(", ", names)) + ", not " + quote(trustName));
    }

    @Override
    public String describe() {
      return "signed by " + quote(trustName);
    }
  }

  /** {@code team = "X"}: the primary signer's Apple Team ID (of every slice of a universal file). */
  record Team(String teamId) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), one -> signerText(one, describe(), "Team ID", teamId, Signer::teamId));
    }

    @Override
    public String describe() {
      return "team = " + quote(teamId);
    }
  }

  /** {@code identifier = "X"}: the primary signer's Apple signing identifier (of every slice of a universal file). */
  record Identifier(String identifier) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(),
          one -> signerText(one, describe(), "signing identifier", identifier, Signer::identifier));
    }

    @Override
    public String describe() {
      return "identifier = " + quote(identifier);
    }
  }

  private static PolicyOutcome signerText(PeerIdentity identity, String clause, String what, String expected,
      java.util.function.Function<Signer, Optional<String>> field) {
    CodeSignature signature = identity.signature();
    Optional<PolicyOutcome> invalid = unlessValid(clause, signature);
    if (invalid.isPresent()) {
      return invalid.get();
    }
    Optional<Signer> signer = signature.signer();
    if (signer.isEmpty()) {
      return PolicyOutcome.fails(clause + " does not hold: the signature names no signer");
    }
    Optional<String> actual = field.apply(signer.get());
    if (actual.isEmpty()) {
      return PolicyOutcome.fails(clause + " does not hold: the signer has no " + what + " (" + what
          + " applies to Apple code signatures; this is " + SignatureFacts.kind(signature) + " by "
          + SignatureFacts.signer(signer.get()) + ")");
    }
    if (actual.get().equals(expected)) {
      return PolicyOutcome.holds(clause);
    }
    return PolicyOutcome.fails(clause + " does not hold: the signer's " + what + " is " + quote(actual.get()));
  }

  /** Which certificate of the primary signer's chain a {@code certificate} clause reads. */
  record CertificatePosition(String keyword, long index) {
    static final long ROOT = -1;

    static CertificatePosition leaf() {
      return new CertificatePosition("leaf", 0);
    }

    static CertificatePosition root() {
      return new CertificatePosition("root", ROOT);
    }

    static CertificatePosition at(long index) {
      return new CertificatePosition(Long.toString(index), index);
    }

    String describe(int chainLength) {
      if (index == ROOT) {
        return "the root certificate (certificate " + (chainLength - 1) + ", the last of the chain)";
      }
      return index == 0 ? "the leaf certificate" : "certificate " + index;
    }
  }

  /** The certificate fields a policy may test. */
  enum CertificateField {
    SUBJECT_CN("subject.CN", "CN"),
    SUBJECT_O("subject.O", "O"),
    SUBJECT_OU("subject.OU", "OU"),
    SHA256("sha256", null);

    final String keyword;
    final String attributeType;

    CertificateField(String keyword, String attributeType) {
      this.keyword = keyword;
      this.attributeType = attributeType;
    }

    static Optional<CertificateField> byKeyword(String word) {
      for (CertificateField f : values()) {
        if (f.keyword.equals(word)) {
          return Optional.of(f);
        }
      }
      return Optional.empty();
    }
  }

  /** {@code certificate leaf|root|N [field] = "value"}. */
  record Certificate(CertificatePosition position, CertificateField field, String expected) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), this::evaluateOne);
    }

    private PolicyOutcome evaluateOne(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      Optional<PolicyOutcome> invalid = unlessValid(describe(), signature);
      if (invalid.isPresent()) {
        return invalid.get();
      }
      Optional<Signer> signer = signature.signer();
      if (signer.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: the signature names no signer");
      }
      List<X509Certificate> chain = signer.get().chain();
      if (chain.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: the signer is a bare key ("
            + SignatureFacts.signer(signer.get()) + ") without a certificate chain");
      }
      long index = position.index() == CertificatePosition.ROOT ? chain.size() - 1 : position.index();
      if (index >= chain.size()) {
        return PolicyOutcome.fails(describe() + " does not hold: the signer's chain has " + chain.size()
            + (chain.size() == 1 ? " certificate" : " certificates") + ", so there is no certificate " + index);
      }
      X509Certificate certificate = chain.get((int) index);
      String which = position.describe(chain.size());
      if (field == CertificateField.SHA256) {
        String actual;
        try {
          actual = Signer.fingerprint(certificate);
        } catch (IllegalStateException e) {
          return PolicyOutcome.fails(describe() + " does not hold: " + which + " could not be fingerprinted: "
              + e.getMessage());
        }
        boolean same = MessageDigest.isEqual(actual.getBytes(StandardCharsets.US_ASCII),
            expected.getBytes(StandardCharsets.US_ASCII));
        return same ? PolicyOutcome.holds(describe())
            : PolicyOutcome.fails(describe() + " does not hold: " + which + " has SHA-256 fingerprint " + actual);
      }
      List<String> values;
      try {
        values = CertificateSubject.values(certificate, field.attributeType);
      } catch (InvalidNameException | IllegalArgumentException e) {
        return PolicyOutcome.fails(describe() + " does not hold: the subject of " + which
            + " could not be read: " + e.getMessage());
      }
      if (values.contains(expected)) {
        return PolicyOutcome.holds(describe());
      }
      return PolicyOutcome.fails(describe() + " does not hold: " + which + " has "
          + (values.isEmpty() ? "no " + field.attributeType + " in its subject"
              : field.keyword + " " + String.join(", ", values.stream().map(PolicyExpr::quote).toList()))
          + " (subject \"" + certificate.getSubjectX500Principal().getName() + "\")");
    }

    @Override
    public String describe() {
      return "certificate " + position.keyword() + "[" + field.keyword + "] = " + quote(expected);
    }
  }

  /** {@code anchor apple} and {@code anchor apple generic}, from the macOS verifier's "appleAnchor" attribute. */
  record AppleAnchor(boolean generic) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), this::evaluateOne);
    }

    private PolicyOutcome evaluateOne(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      Optional<PolicyOutcome> invalid = unlessValid(describe(), signature);
      if (invalid.isPresent()) {
        return invalid.get();
      }
      Optional<String> anchor = signature.attribute("appleAnchor");
      if (anchor.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: the signature does not chain to an Apple anchor ("
            + SignatureFacts.kind(signature) + "; Apple anchors are reported for Apple code signatures only)");
      }
      boolean holds = anchor.get().equals("apple") || generic && anchor.get().equals("apple-generic");
      if (holds) {
        return PolicyOutcome.holds(describe() + " (" + anchor.get() + ")");
      }
      return PolicyOutcome.fails(describe() + " does not hold: the signature's Apple anchor is " + quote(anchor.get())
          + (generic ? "" : " (Apple's own code is \"apple\"; developer certificates issued by Apple are"
              + " \"apple-generic\": use 'anchor apple generic' for them)"));
    }

    @Override
    public String describe() {
      return generic ? "anchor apple generic" : "anchor apple";
    }
  }

  /** {@code hardened}: the signature enables Apple's hardened runtime. */
  record Hardened() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), this::evaluateOne);
    }

    private PolicyOutcome evaluateOne(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      Optional<PolicyOutcome> invalid = unlessValid(describe(), signature);
      if (invalid.isPresent()) {
        return invalid.get();
      }
      Optional<String> flag = signature.attribute("hardenedRuntime");
      if (flag.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: " + SignatureFacts.kind(signature)
            + " does not say whether the hardened runtime is enabled (it applies to Apple code signatures)");
      }
      return "true".equals(flag.get()) ? PolicyOutcome.holds(describe() + ": the hardened runtime is enabled")
          : PolicyOutcome.fails(describe() + " does not hold: the signature does not enable the hardened runtime");
    }

    @Override
    public String describe() {
      return "hardened";
    }
  }

  /** {@code entitlement "key"}: the signature grants that entitlement (with the value true). */
  record Entitlement(String key) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return everySlice(identity, describe(), this::evaluateOne);
    }

    private PolicyOutcome evaluateOne(PeerIdentity identity) {
      CodeSignature signature = identity.signature();
      Optional<PolicyOutcome> invalid = unlessValid(describe(), signature);
      if (invalid.isPresent()) {
        return invalid.get();
      }
      return grants(signature, key) ? PolicyOutcome.holds(describe())
          : PolicyOutcome.fails(describe() + " does not hold: " + SignatureFacts.kind(signature)
              + " does not grant " + key);
    }

    @Override
    public String describe() {
      return "entitlement " + quote(key);
    }
  }

  /** Whether the "entitlements" attribute (one key per line, the keys whose value is true) lists {@code key}. */
  static boolean grants(CodeSignature signature, String key) {
    String list = signature.attribute("entitlements").orElse("");
    for (String line : list.split("\n", -1)) {
      if (!key.isEmpty() && line.strip().equals(key)) {
        return true;
      }
    }
    return false;
  }
}
