package dev.peerid;

import java.util.List;

/**
 * Whether one part of a policy holds for a peer, and why: the facts that satisfied it, or every
 * clause that failed, in words a person can act on.
 */
record PolicyOutcome(boolean holds, List<String> reasons) {

  PolicyOutcome {
    reasons = List.copyOf(reasons);
  }

  static PolicyOutcome holds(String reason) {
    return new PolicyOutcome(true, List.of(reason));
  }

  static PolicyOutcome fails(String reason) {
    return new PolicyOutcome(false, List.of(reason));
  }
}
