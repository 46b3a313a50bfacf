package dev.peerid.netty;

import dev.peerid.PeerIdentity;
import dev.peerid.Verdict;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of authenticating a channel's peer, fired once per channel as a user event by
 * {@link PeerAuthenticationHandler}. Immutable.
 *
 * <p>A denial always carries a verdict with at least one reason; {@link #cause()} is present when
 * the denial came from an error (a failed verification, an unreadable channel) rather than from
 * the policy.
 */
public final class PeerAuthenticationEvent {
  private final Verdict verdict;
  private final Throwable cause;
  private final ConnectionLimit limit;

  private PeerAuthenticationEvent(Verdict verdict, Throwable cause, ConnectionLimit limit) {
    this.verdict = Objects.requireNonNull(verdict, "verdict");
    this.cause = cause;
    this.limit = limit;
  }

  static PeerAuthenticationEvent of(Verdict verdict) {
    return new PeerAuthenticationEvent(verdict, null, null);
  }

  static PeerAuthenticationEvent denied(String reason, Throwable cause) {
    return new PeerAuthenticationEvent(Verdict.deny(null, reason), cause, null);
  }

  /** Refused by a limit of {@link PeerAuthentication}; {@code identity} is the verified peer, when it was verified. */
  static PeerAuthenticationEvent refused(ConnectionLimit limit, String reason, PeerIdentity identity) {
    return new PeerAuthenticationEvent(Verdict.deny(identity, reason), null, Objects.requireNonNull(limit, "limit"));
  }

  /** The limit that refused the peer, when one did (the peer may have been allowed by the policy). */
  public Optional<ConnectionLimit> limit() {
    return Optional.ofNullable(limit);
  }

  /** True when the peer was allowed. */
  public boolean isSuccess() {
    return verdict.isAllowed();
  }

  public Verdict verdict() {
    return verdict;
  }

  /** The reasons of the verdict (never empty for a denial). */
  public List<String> reasons() {
    return verdict.reasons();
  }

  /** The peer's identity, when it could be established (always, when allowed). */
  public Optional<PeerIdentity> identity() {
    return verdict.identity();
  }

  /** The error behind a denial, when there was one. */
  public Optional<Throwable> cause() {
    return Optional.ofNullable(cause);
  }

  @Override
  public String toString() {
    return "PeerAuthenticationEvent{" + verdict + (cause == null ? "" : " cause=" + cause)
        + (limit == null ? "" : " limit=" + limit) + "}";
  }
}
