package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.reasonContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** {@code namespaced}, {@code protected}, and path clauses that need the path to name the running file. */
class PolicyNamespaceTest {
  private static final PeerIdentity NAMESPACED = TestPeers.running().path("/opt/vendor/client")
      .namespaces(new Namespaces(true, true, false)).protection(MemoryProtection.UNPROTECTED).build();

  @Test
  void peerInAUserNamespaceOfItsOwnIsDeniedWhateverTheExpressionSays() {
    for (String policy : new String[] {"signed", "signed by \"vendor\"", "path = \"/opt/vendor/client\"",
        "not signed by \"evil\"", "uid = 1000", "signed or not signed"}) {
      Verdict v = denied(policy, NAMESPACED);
      reasonContains(v, "user namespace of its own", "PR_SET_MM", "add 'namespaced' to the policy");
      assertEquals(1, v.reasons().size(), "no clause is judged on its executable: " + v.reasons());
    }
  }

  @Test
  void namingNamespacedAcceptsItsExecutablesWord() {
    Verdict v = allowed("signed by \"vendor\" and namespaced", NAMESPACED);
    reasonContains(v, "namespaced: the peer runs in a user namespace of its own");
    reasonContains(v, "peer in a user namespace of its own allowed by the policy");
    allowed("signed by \"vendor\" and (namespaced or uid = 0)", NAMESPACED);
    reasonContains(denied("signed and not namespaced", NAMESPACED), "'namespaced' holds but the policy requires it not to");
    // a peer in the server's namespaces
    reasonContains(denied("namespaced", TestPeers.running().build()), "namespaced does not hold");
    allowed("signed and not namespaced", TestPeers.running().namespaces(new Namespaces(false, true, true)).build());
  }

  @Test
  void aPrivateMountNamespaceAloneIsNoRisk() {
    allowed("signed", TestPeers.running().namespaces(new Namespaces(false, true, true)).build());
  }

  @Test
  void protectedHoldsOnlyForAProtectedPeer() {
    allowed("signed and protected", TestPeers.running().protection(MemoryProtection.PROTECTED).build());
    reasonContains(denied("signed and protected", TestPeers.running().protection(MemoryProtection.UNPROTECTED).build()),
        "protected does not hold: any process of the peer's user can trace it", "PR_SET_DUMPABLE");
    reasonContains(denied("signed and protected", TestPeers.running().platform(Platform.MACOS).build()),
        "protected does not hold: macos does not tell");
    allowed("signed and not protected", TestPeers.running().protection(MemoryProtection.UNPROTECTED).build());
  }

  @Test
  void pathClausesNeedThePathToNameTheRunningFile() {
    PeerIdentity elsewhere = TestPeers.running().path("/opt/vendor/client").pathNamesTheFile(false).build();
    for (String policy : new String[] {"path = \"/opt/vendor/client\"", "path matches \"/opt/vendor/**\""}) {
      reasonContains(denied(policy, elsewhere), "is not the file the peer runs where the server looks it up");
      allowed(policy, TestPeers.running().path("/opt/vendor/client").build());
    }
    reasonContains(denied("path = \"/other\"", elsewhere), "the executable is /opt/vendor/client");
  }

  @Test
  void theNewWordsParseAndPrint() throws Exception {
    assertEquals("signed and namespaced and protected",
        Policy.parse("signed and namespaced and protected").canonical());
    assertFalse(Policy.parse("protected").needsSha256());
  }
}
