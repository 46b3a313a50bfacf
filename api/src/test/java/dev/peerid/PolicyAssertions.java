package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared checks for policy tests. */
final class PolicyAssertions {
  private PolicyAssertions() {}

  static Policy policy(String text) {
    try {
      return Policy.parse(text);
    } catch (PolicyParseException e) {
      throw new AssertionError("policy should parse: " + text, e);
    }
  }

  static Verdict allowed(String policy, PeerIdentity peer) {
    Verdict v = policy(policy).evaluate(peer);
    assertTrue(v.isAllowed(), () -> "expected '" + policy + "' to allow, got " + v);
    return v;
  }

  static Verdict denied(String policy, PeerIdentity peer) {
    Verdict v = policy(policy).evaluate(peer);
    assertFalse(v.isAllowed(), () -> "expected '" + policy + "' to deny, got " + v);
    assertFalse(v.reasons().isEmpty(), "a denial needs reasons");
    return v;
  }

  /** Asserts some reason contains every fragment. */
  static void reasonContains(Verdict v, String... fragments) {
    for (String reason : v.reasons()) {
      boolean all = true;
      for (String f : fragments) {
        all &= reason.contains(f);
      }
      if (all) {
        return;
      }
    }
    fail("no reason contains all of " + String.join(" | ", fragments) + ": " + v.reasons());
  }

  static PolicyParseException parseError(String text) {
    try {
      Policy p = Policy.parse(text);
      throw new AssertionError("expected a parse error for '" + text + "', got policy " + p);
    } catch (PolicyParseException e) {
      return e;
    }
  }
}
