package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Any text either parses or gives a {@link PolicyParseException} with a position; a parsed policy
 * evaluates every identity to a verdict without throwing. Runs its seed corpus in the normal test
 * run; {@code JAZZER_FUZZ=1} fuzzes.
 */
class PolicyFuzzTest {
  private static final Signer APPLE = Signer.builder().teamId("TEAM123456").identifier("com.vendor.client")
      .trustName("developer-id").build();

  private static final List<PeerIdentity> PEERS = List.of(
      TestPeers.running().sha256Hex(TestPeers.SHA256_HEX).build(),
      TestPeers.file().signature(TestPeers.unsigned()).build(),
      TestPeers.running().signature(TestPeers.untrustedIma()).process(ProcessInfo.UNKNOWN, ProcessInfo.UNKNOWN,
          null, null).interpreter("python").traced(ProcessInfo.UNKNOWN).injected("/tmp/x.so").build(),
      TestPeers.running().platform(Platform.MACOS).signature(TestPeers.macho(APPLE, "appleAnchor", "apple-generic",
          "hardenedRuntime", "false", "entitlements", "com.apple.security.get-task-allow\n").build()).build());

  @FuzzTest(maxDuration = "30s")
  void parseAndEvaluate(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Policy policy;
    try {
      policy = Policy.parse(text);
    } catch (PolicyParseException e) {
      assertTrue(e.line() >= 1 && e.column() >= 1, e.getMessage());
      assertTrue(e.getMessage().startsWith(e.line() + ":" + e.column() + ": "), e.getMessage());
      return;
    }
    assertEquals(text, policy.text());
    Policy canonical = policy;
    try {
      // The canonical form adds blanks around operators, so a compact text near the size limit may
      // not have one that fits.
      if (policy.canonical().length() <= PolicyParser.MAX_LENGTH) {
        canonical = Policy.parse(policy.canonical());
      }
    } catch (PolicyParseException e) {
      throw new AssertionError("canonical form does not parse: " + policy.canonical(), e);
    }
    assertEquals(policy.canonical(), canonical.canonical());
    assertEquals(policy.needsSha256(), canonical.needsSha256());
    for (PeerIdentity peer : PEERS) {
      assertEquals(policy.evaluate(peer).toString(), canonical.evaluate(peer).toString(),
          () -> "canonical form judges differently: " + policy.canonical());
      Verdict v = policy.evaluate(peer);
      assertNotNull(v);
      if (!v.isAllowed()) {
        assertFalse(v.reasons().isEmpty());
      }
      assertFalse(v.reasons().stream().anyMatch(r -> r.startsWith("the policy could not be evaluated")),
          () -> "evaluation failed internally: " + v);
    }
  }
}
