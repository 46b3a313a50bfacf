package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.policy;
import static dev.peerid.PolicyAssertions.reasonContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** and / or / not, precedence, parentheses, and the reasons they give. */
class PolicyLogicTest {
  private static final PeerIdentity PEER = TestPeers.running().build(); // signed, uid 1000, linux

  @Test
  void andNeedsEveryClauseAndListsEveryFailure() {
    allowed("signed and uid = 1000 and platform = linux", PEER);
    Verdict v = denied("signed and uid = 0 and platform = macos", PEER);
    assertEquals(2, v.reasons().size(), v.reasons().toString());
    reasonContains(v, "uid = 0 does not hold");
    reasonContains(v, "platform = macos does not hold");
  }

  @Test
  void orNeedsOneAndListsEachAlternativeWhenAllFail() {
    allowed("uid = 0 or uid = 1000", PEER);
    Verdict v = denied("uid = 0 or platform = windows or signed by \"other\"", PEER);
    assertEquals(1, v.reasons().size());
    String r = v.reasons().get(0);
    assertTrue(r.startsWith("none of the 3 alternatives"), r);
    assertTrue(r.contains("[1] uid = 0 does not hold"), r);
    assertTrue(r.contains("[2] platform = windows does not hold"), r);
    assertTrue(r.contains("[3] signed by \"other\" does not hold"), r);
  }

  @Test
  void notInverts() {
    allowed("not uid = 0", PEER);
    Verdict v = denied("not uid = 1000", PEER);
    reasonContains(v, "'uid = 1000' holds but the policy requires it not to");
    allowed("not not uid = 1000", PEER);
  }

  @Test
  void notBindsTighterThanAnd() {
    // (not uid = 0) and signed: allowed; not (uid = 0 and signed) would also allow, so test the other way:
    // not uid = 1000 and signed  ==  (not uid = 1000) and signed  -> deny
    denied("not uid = 1000 and signed", PEER);
    allowed("not (uid = 1000 and uid = 0)", PEER);
    denied("not (uid = 1000 and signed)", PEER);
  }

  @Test
  void andBindsTighterThanOr() {
    // signed or uid = 0 and platform = windows == signed or (uid = 0 and platform = windows) -> allow
    allowed("signed or uid = 0 and platform = windows", PEER);
    // (signed or uid = 0) and platform = windows -> deny
    denied("(signed or uid = 0) and platform = windows", PEER);
    // uid = 0 and platform = windows or signed -> allow
    allowed("uid = 0 and platform = windows or signed", PEER);
    allowed("uid = 0 and (platform = windows or signed) or uid = 1000", PEER);
    denied("uid = 0 and (platform = windows or signed)", PEER);
  }

  @Test
  void notOfAParenthesizedOrDescribesIt() {
    Verdict v = denied("not (uid = 0 or uid = 1000)", PEER);
    reasonContains(v, "'uid = 0 or uid = 1000' holds");
  }

  @Test
  void nestedOrInsideAndReportsAsOneReason() {
    Verdict v = denied("signed and (uid = 0 or gid = 0) and platform = macos", PEER);
    assertEquals(2, v.reasons().size(), v.reasons().toString());
    reasonContains(v, "none of the 2 alternatives of 'uid = 0 or gid = 0'");
  }

  @Test
  void allowReasonsNameTheSatisfiedClauses() {
    Verdict v = allowed("signed by \"vendor\" and uid >= 1000", PEER);
    reasonContains(v, "signed by \"vendor\"");
    reasonContains(v, "uid >= 1000 (uid 1000)");
  }

  @Test
  void policyIsAValueOfItsText() throws PolicyParseException {
    String text = "signed # trust the vendor\n  and uid >= 1000\n";
    Policy p = Policy.parse(text);
    assertEquals(text, p.text());
    assertEquals(text, p.toString());
    assertFalse(p.needsSha256());
    assertTrue(policy("signed or sha256 = " + TestPeers.SHA256_HEX).needsSha256());
    assertFalse(policy("certificate leaf[sha256] = \"" + TestPeers.SHA256_HEX + "\"").needsSha256());
  }

  @Test
  void evaluateNeverThrowsOnNull() {
    Verdict v = policy("signed").evaluate(null);
    assertFalse(v.isAllowed());
    assertEquals("no peer identity to evaluate", v.reasons().get(0));
  }

  @Test
  void onePolicyServesManyThreads() throws Exception {
    Policy p = policy("signed and uid >= 1000 and path matches \"/opt/**\"");
    PeerIdentity other = TestPeers.running().process(0, 0, "root", "root").build();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) {
        PeerIdentity id = i % 2 == 0 ? PEER : other;
        boolean expected = i % 2 == 0;
        results.add(pool.submit(() -> p.evaluate(id).isAllowed() == expected));
      }
      for (java.util.concurrent.Future<Boolean> f : results) {
        assertTrue(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
