package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.reasonContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The denials every policy applies, and the opt-ins that lift them. */
class PolicyDefaultsTest {
  private static final PeerIdentity PYTHON = TestPeers.running().path("/usr/bin/python3.11").interpreter("python")
      .build();

  @Test
  void interpreterDeniedByDefault() {
    Verdict v = denied("signed", PYTHON);
    assertEquals(java.util.List.of("the peer runs /usr/bin/python3.11, an interpreter (python): its signature does"
        + " not cover the code it runs; add 'interpreter' to the policy to allow interpreters"), v.reasons());
  }

  @Test
  void interpreterOptIn() {
    Verdict v = allowed("signed and (interpreter or not interpreter)", PYTHON);
    reasonContains(v, "interpreter python allowed by the policy");
    allowed("signed and interpreter", PYTHON);
    // Naming it under 'not' is still the opt-in; the expression itself then denies.
    reasonContains(denied("signed and not interpreter", PYTHON), "'interpreter' holds but the policy requires it not to");
  }

  @Test
  void aCommentIsNotAnOptIn() {
    denied("signed # interpreter traced injected", PYTHON);
  }

  @Test
  void tracedDeniedByDefault() {
    PeerIdentity traced = TestPeers.running().traced(313).build();
    reasonContains(denied("signed", traced), "the peer is traced by pid 313", "add 'traced' to the policy");
    allowed("signed and (traced or uid = 1000)", traced);
    reasonContains(denied("signed", TestPeers.running().traced(ProcessInfo.UNKNOWN).build()),
        "could not be shown to be untraced");
  }

  @Test
  void injectedDeniedByDefault() {
    PeerIdentity injected = TestPeers.running().injected("/tmp/hook.so").build();
    reasonContains(denied("signed", injected), "code its signature does not cover", "/tmp/hook.so", "add 'injected' to the policy");
    allowed("signed and (injected or not injected)", injected);
  }

  @Test
  void everyDefaultIsListedTogetherWithFailedClauses() {
    PeerIdentity all = TestPeers.running().signature(TestPeers.unsigned()).interpreter("bash").traced(9)
        .injected("/tmp/x.so").build();
    Verdict v = denied("signed", all);
    assertEquals(4, v.reasons().size(), v.reasons().toString());
    reasonContains(v, "signature is unsigned");
    reasonContains(v, "interpreter (bash)");
    reasonContains(v, "traced by pid 9");
    reasonContains(v, "/tmp/x.so");
  }

  private static final Signer APPLE = Signer.builder().teamId("TEAM123456").identifier("com.vendor.client")
      .trustName("developer-id").build();

  private static PeerIdentity mac(String... attributes) {
    return TestPeers.running().platform(Platform.MACOS).signature(TestPeers.macho(APPLE, attributes).build()).build();
  }

  @Test
  void macWithoutHardenedRuntimeDenied() {
    PeerIdentity p = mac("hardenedRuntime", "false");
    reasonContains(denied("signed", p), "does not enable the hardened runtime", "mention 'hardened'");
    allowed("signed and (hardened or identifier = \"com.vendor.client\")", p);
    allowed("signed", mac("hardenedRuntime", "true"));
  }

  @Test
  void hardenedDefaultOnlyForValidMachO() {
    CodeSignature untrusted = CodeSignature.builder(SignatureFormat.MACHO, SignatureStatus.UNTRUSTED).signer(APPLE)
        .attribute("hardenedRuntime", "false").reason("not trusted").build();
    Verdict v = denied("signed", TestPeers.running().signature(untrusted).build());
    assertEquals(1, v.reasons().size(), v.reasons().toString());
    // An IMA signature carrying the attribute is not judged by Apple's rules.
    CodeSignature ima = TestPeers.validIma("vendor").toBuilder().attribute("hardenedRuntime", "false").build();
    allowed("signed", TestPeers.running().signature(ima).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"com.apple.security.get-task-allow", "com.apple.security.cs.disable-library-validation",
      "com.apple.security.cs.allow-dyld-environment-variables"})
  void riskyEntitlementsDeniedUnlessNamed(String key) {
    PeerIdentity p = mac("hardenedRuntime", "true", "entitlements", "com.apple.security.app-sandbox\n" + key);
    Verdict v = denied("signed", p);
    assertEquals(1, v.reasons().size(), v.reasons().toString());
    reasonContains(v, "grants the entitlement " + key, "add 'entitlement \"" + key + "\"' to the policy");
    allowed("signed and (entitlement \"" + key + "\" or hardened)", p);
    // Naming a different risky entitlement does not opt in to this one.
    denied("signed or entitlement \"com.apple.security.cs.allow-jit\"", p);
  }
}
