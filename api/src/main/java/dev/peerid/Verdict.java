package dev.peerid;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A policy decision: allow or deny, the reasons, and the identity it was made about (absent when
 * the identity could not be established). A denial always has at least one reason a person can
 * act on.
 */
public final class Verdict {
  private final boolean allowed;
  private final List<String> reasons;
  private final PeerIdentity identity;

  private Verdict(boolean allowed, List<String> reasons, PeerIdentity identity) {
    this.allowed = allowed;
    this.reasons = List.copyOf(reasons);
    this.identity = identity;
    if (!allowed && this.reasons.isEmpty()) {
      throw new IllegalArgumentException("a denial needs a reason");
    }
  }

  /** Allow; {@code reasons} say what satisfied the policy (may be empty). */
  public static Verdict allow(PeerIdentity identity, List<String> reasons) {
    return new Verdict(true, reasons, Objects.requireNonNull(identity, "identity"));
  }

  /** Deny, with at least one reason; {@code identity} may be null when it could not be established. */
  public static Verdict deny(PeerIdentity identity, List<String> reasons) {
    return new Verdict(false, reasons, identity);
  }

  public static Verdict deny(PeerIdentity identity, String reason) {
    return deny(identity, List.of(reason));
  }

  public boolean isAllowed() {
    return allowed;
  }

  public List<String> reasons() {
    return reasons;
  }

  public Optional<PeerIdentity> identity() {
    return Optional.ofNullable(identity);
  }

  /** The identity of an allowed peer; throws {@link PeerDeniedException} for a denial. */
  public PeerIdentity requireAllowed() throws PeerDeniedException {
    if (!allowed) {
      throw new PeerDeniedException(this);
    }
    return identity;
  }

  @Override
  public String toString() {
    return (allowed ? "allow" : "deny") + " " + reasons + (identity == null ? "" : " " + identity);
  }
}
