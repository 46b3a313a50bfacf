package dev.peerid;

/** The peer was identified and the policy refused it; {@link #verdict()} says why. */
public final class PeerDeniedException extends PeerVerificationException {
  private final transient Verdict verdict;

  public PeerDeniedException(Verdict verdict) {
    super("peer denied: " + String.join("; ", verdict.reasons()), null);
    this.verdict = verdict;
  }

  public Verdict verdict() {
    return verdict;
  }
}
