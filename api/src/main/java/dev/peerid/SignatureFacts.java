package dev.peerid;

import java.util.Optional;

/** Describes a code signature and its signer for policy reasons. */
final class SignatureFacts {
  private SignatureFacts() {}

  /**
   * True when the signer's facts (team, identifier, certificate fields, anchor, entitlements)
   * can be believed: the signature is VALID, or it is an Apple code signature whose chain was
   * verified up to Apple's pinned root (attribute {@code appleAnchor}) and only lacks a
   * trust-store entry. Apple vets the certificates it issues, so their Team ID means what it
   * says; that is what makes {@code anchor apple generic and team = "X"} work with an empty
   * trust store, as Apple's own requirement language does. {@code signed} still needs VALID.
   */
  static boolean signerFactsCount(CodeSignature signature) {
    return signature.isValid()
        || (signature.status() == SignatureStatus.UNTRUSTED && signature.format() == SignatureFormat.MACHO
            && signature.attribute("appleAnchor").isPresent());
  }

  /**
   * Why a signature that is not {@link SignatureStatus#VALID} does not count, naming the signer
   * and including the verifier's own reasons; for a valid one, a short summary.
   */
  static String status(CodeSignature signature) {
    String details = signature.reasons().isEmpty() ? "" : String.join("; ", signature.reasons());
    switch (signature.status()) {
      case VALID:
        return "signature is valid (" + kind(signature) + trustedThrough(signature) + ")";
      case UNTRUSTED:
        return "signature is untrusted: signed by " + signer(signature) + ", which no trusted entry vouches for"
            + (details.isEmpty() ? "" : " (" + details + ")");
      case REVOKED:
        return "signature is revoked: the signer " + signer(signature) + " is revoked"
            + (details.isEmpty() ? "" : " (" + details + ")");
      case INVALID:
        return "signature is invalid: " + (details.isEmpty() ? "it does not verify" : details);
      case UNSIGNED:
      default:
        return "signature is unsigned: " + (details.isEmpty() ? "no signature was found" : details);
    }
  }

  /** "an IMA signature", "an Apple code signature", ... */
  static String kind(CodeSignature signature) {
    switch (signature.format()) {
      case IMA:
        return "an IMA signature";
      case MACHO:
        return "an Apple code signature";
      case AUTHENTICODE:
        return "an Authenticode signature";
      case NONE:
      default:
        return "no signature of a known format";
    }
  }

  /** The primary signer in words: key id, certificate subject, or both. */
  static String signer(CodeSignature signature) {
    Optional<Signer> signer = signature.signer();
    if (signer.isEmpty()) {
      return "an unknown signer";
    }
    return signer(signer.get());
  }

  static String signer(Signer s) {
    Optional<String> subject = s.subject();
    Optional<String> keyId = s.keyId();
    if (subject.isPresent() && keyId.isPresent()) {
      return "certificate \"" + subject.get() + "\" (key id " + keyId.get() + ")";
    }
    if (subject.isPresent()) {
      return "certificate \"" + subject.get() + "\"";
    }
    return keyId.map(k -> "key id " + k).orElse("an unidentified signer");
  }

  private static String trustedThrough(CodeSignature signature) {
    return signature.signer().flatMap(Signer::trustName).map(n -> " trusted through \"" + n + "\"").orElse("");
  }
}
