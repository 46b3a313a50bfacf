package dev.peerid;

/** PLACEHOLDER: replaced by the policy-language work. */
public final class Policy {
  private final String text;

  private Policy(String text) {
    this.text = text;
  }

  public static Policy parse(String text) throws PolicyParseException {
    throw new PolicyParseException("policy language not implemented yet", 1, 1);
  }

  public String text() {
    return text;
  }

  public boolean needsSha256() {
    return false;
  }

  public Verdict evaluate(PeerIdentity identity) {
    return Verdict.deny(identity, "policy language not implemented yet");
  }
}
