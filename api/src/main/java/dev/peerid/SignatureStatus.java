package dev.peerid;

import java.util.Locale;

/** The outcome of checking one executable's code signature against a {@link TrustStore}. */
public enum SignatureStatus {
  /** The signature verifies and its signer is trusted and not revoked. */
  VALID,
  /** The signature verifies, but no trusted entry vouches for its signer. */
  UNTRUSTED,
  /** The signature verifies, but its signer (key or certificate) is revoked. */
  REVOKED,
  /** A signature is present but does not verify: tampered file, malformed data, wrong digest. */
  INVALID,
  /** No signature is present (a bare digest without a signature counts as unsigned). */
  UNSIGNED;

  /** The lower-case name used in JSON. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
