package dev.peerid;

import static dev.peerid.PolicyAssertions.allowed;
import static dev.peerid.PolicyAssertions.denied;
import static dev.peerid.PolicyAssertions.reasonContains;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every predicate, true and false, with the reasons it gives. */
class PolicyPredicateTest {
  private static PeerIdentity peer() {
    return TestPeers.running().build();
  }

  @Nested
  class Signed {
    @Test
    void validSignatureIsSigned() {
      Verdict v = allowed("signed", peer());
      reasonContains(v, "signed", "valid", "vendor");
    }

    @Test
    void untrustedNamesKeyIdAndVerifierReason() {
      Verdict v = denied("signed", TestPeers.running().signature(TestPeers.untrustedIma()).build());
      assertEquals("signature is untrusted: signed by key id 1a2b3c4d, which no trusted entry vouches for"
          + " (no trusted key has key id 1a2b3c4d)", v.reasons().get(0));
    }

    @Test
    void unsignedCarriesVerifierReasons() {
      Verdict v = denied("signed", TestPeers.running().signature(TestPeers.unsigned()).build());
      assertEquals("signature is unsigned: no security.ima xattr and no .sig sidecar", v.reasons().get(0));
    }

    @Test
    void revokedAndInvalidAreNotSigned() {
      reasonContains(denied("signed", TestPeers.running().signature(TestPeers.revokedIma()).build()),
          "signature is revoked", "key id 1a2b3c4d", "revocation list");
      reasonContains(denied("signed", TestPeers.running().signature(TestPeers.invalidIma()).build()),
          "signature is invalid", "does not match");
    }

    @Test
    void signedByMatchesTrustName() {
      reasonContains(allowed("signed by \"vendor\"", peer()), "signed by \"vendor\"", "key id 1a2b3c4d");
      Verdict v = denied("signed by \"other\"", peer());
      reasonContains(v, "trusted through \"vendor\", not \"other\"");
    }

    @Test
    void signedByNeedsValidStatusEvenWithTheRightName() {
      Verdict v = denied("signed by \"vendor\"", TestPeers.running().signature(TestPeers.revokedIma()).build());
      reasonContains(v, "signature is revoked");
    }

    @Test
    void signedByAcceptsAnyValidSigner() {
      CodeSignature two = CodeSignature.builder(SignatureFormat.AUTHENTICODE, SignatureStatus.VALID)
          .signer(Signer.builder().keyId("aa").trustName("microsoft").build())
          .signer(Signer.builder().keyId("bb").trustName("vendor").build()).build();
      PeerIdentity p = TestPeers.running().platform(Platform.WINDOWS).signature(two).build();
      allowed("signed by \"vendor\"", p);
      allowed("signed by \"microsoft\"", p);
      reasonContains(denied("signed by \"third\"", p), "\"microsoft\", \"vendor\", not \"third\"");
    }
  }

  @Nested
  class ProcessFacts {
    @Test
    void uidComparisons() {
      PeerIdentity p = peer(); // uid 1000, gid 100
      allowed("uid = 1000", p);
      allowed("uid != 0", p);
      allowed("uid < 1001", p);
      allowed("uid <= 1000", p);
      allowed("uid > 999", p);
      allowed("uid >= 1000", p);
      reasonContains(denied("uid = 0", p), "uid = 0 does not hold", "uid 1000");
      denied("uid != 1000", p);
      denied("uid < 1000", p);
      denied("uid <= 999", p);
      denied("uid > 1000", p);
      denied("uid >= 1001", p);
    }

    @Test
    void gidIsTheEffectiveGidOnly() {
      PeerIdentity p = peer(); // gid 100, supplementary 100 and 27
      allowed("gid = 100", p);
      reasonContains(denied("gid = 27", p), "gid = 27 does not hold", "gid 100");
      allowed("gid in [5, 100]", p);
      denied("gid in [27]", p);
    }

    @Test
    void uidIn() {
      allowed("uid in [0, 1000, 4294967295]", peer());
      reasonContains(denied("uid in [0,1,2]", peer()), "uid in [0, 1, 2] does not hold", "uid 1000");
    }

    @Test
    void largestUidCompares() {
      PeerIdentity nobody = TestPeers.running().process(4294967295L, 4294967294L, null, null).build();
      allowed("uid = 4294967295 and gid = 4294967294", nobody);
    }

    @Test
    void unknownIdSatisfiesNothing() {
      PeerIdentity p = TestPeers.running().process(ProcessInfo.UNKNOWN, ProcessInfo.UNKNOWN, null, null).build();
      reasonContains(denied("uid != 0", p), "uid is not known");
      reasonContains(denied("gid in [1]", p), "gid is not known");
    }

    @Test
    void userAndGroupNames() {
      allowed("user = \"alice\" and group = \"staff\"", peer());
      reasonContains(denied("user = \"root\"", peer()), "runs as user \"alice\" (uid 1000)");
      reasonContains(denied("group = \"wheel\"", peer()), "runs as group \"staff\" (gid 100)");
    }

    @Test
    void unresolvedNamesAreFalse() {
      PeerIdentity p = TestPeers.running().process(1234, 5678, null, null).build();
      reasonContains(denied("user = \"alice\"", p), "the name of uid 1234 could not be resolved");
      reasonContains(denied("group = \"staff\"", p), "the name of gid 5678 could not be resolved");
    }

    @Test
    void fileOnlyIdentityHasNoProcess() {
      PeerIdentity f = TestPeers.file().build();
      for (String clause : new String[] {"uid = 1000", "gid != 1", "uid in [1000]", "user = \"alice\"",
          "group = \"staff\""}) {
        reasonContains(denied(clause, f), "no process", "applies to running peers only");
      }
      // ... and so 'not uid = 0' holds for a file: the policy author's choice, stated plainly.
      allowed("not uid = 0", f);
    }
  }

  @Nested
  class ExecutableFacts {
    @Test
    void pathEquals() {
      allowed("path = \"/opt/vendor/bin/client\"", peer());
      reasonContains(denied("path = \"/usr/bin/client\"", peer()), "the executable is /opt/vendor/bin/client");
      denied("path = \"/opt/vendor/bin/client\"", TestPeers.running().path("/opt/vendor/bin/client (deleted)").build());
    }

    @Test
    void pathMatches() {
      allowed("path matches \"/opt/*/bin/*\"", peer());
      allowed("path matches \"/opt/**\"", peer());
      allowed("path matches \"/opt/**/client\"", peer());
      allowed("path matches \"/opt/vendor/bin/cli?nt\"", peer());
      allowed("path matches \"/opt/vendor/bin/[a-c]lient\"", peer());
      reasonContains(denied("path matches \"/opt/*\"", peer()), "path matches \"/opt/*\" does not hold",
          "/opt/vendor/bin/client");
      denied("path matches \"/usr/**\"", peer());
    }

    @Test
    void sha256ComparesCaseInsensitively() {
      PeerIdentity p = TestPeers.running().sha256Hex(TestPeers.SHA256_HEX).build();
      allowed("sha256 = " + TestPeers.SHA256_HEX, p);
      allowed("sha256 = " + TestPeers.SHA256_HEX.toUpperCase(java.util.Locale.ROOT), p);
      Verdict v = denied("sha256 = " + "0".repeat(64), p);
      reasonContains(v, "has SHA-256 " + TestPeers.SHA256_HEX);
    }

    @Test
    void sha256NotComputed() {
      reasonContains(denied("sha256 = " + TestPeers.SHA256_HEX, peer()),
          "the executable's SHA-256 was not computed");
    }

    @Test
    void sha256OfAnotherAlgorithmDoesNotCount() {
      byte[] bytes = HexFormat.of().parseHex(TestPeers.SHA256_HEX);
      PeerIdentity p = TestPeers.running().sha256(Digest.of("SHA3-256", bytes)).build();
      reasonContains(denied("sha256 = " + TestPeers.SHA256_HEX, p), "SHA3-256, not SHA-256");
    }

    @Test
    void platform() {
      allowed("platform = linux", peer());
      reasonContains(denied("platform = windows", peer()), "runs on linux");
      allowed("platform = macos", TestPeers.running().platform(Platform.MACOS).build());
      allowed("platform = windows", TestPeers.running().platform(Platform.WINDOWS).build());
    }
  }

  @Nested
  class AppleFacts {
    private final Signer apple = Signer.builder().teamId("TEAM123456").identifier("com.vendor.client")
        .trustName("developer-id").build();

    private PeerIdentity mac(CodeSignature s) {
      return TestPeers.running().platform(Platform.MACOS).path("/Applications/Client.app/Contents/MacOS/client")
          .signature(s).build();
    }

    @Test
    void teamAndIdentifier() {
      PeerIdentity p = mac(TestPeers.macho(apple, "hardenedRuntime", "true").build());
      allowed("team = \"TEAM123456\" and identifier = \"com.vendor.client\"", p);
      allowed("identifier \"com.vendor.client\"", p);
      reasonContains(denied("team = \"OTHER\"", p), "the signer's Team ID is \"TEAM123456\"");
      reasonContains(denied("identifier = \"com.other\"", p), "signing identifier is \"com.vendor.client\"");
    }

    @Test
    void teamOnABareImaKeySaysWhy() {
      Verdict v = denied("team = \"TEAM123456\"", peer());
      reasonContains(v, "the signer has no Team ID", "applies to Apple code signatures", "an IMA signature",
          "key id 1a2b3c4d");
      reasonContains(denied("identifier = \"x\"", peer()), "no signing identifier");
    }

    @Test
    void signerFactsNeedAValidSignature() {
      CodeSignature untrusted = CodeSignature.builder(SignatureFormat.MACHO, SignatureStatus.UNTRUSTED)
          .signer(apple).attribute("hardenedRuntime", "true")
          .attribute("entitlements", "com.apple.security.app-sandbox").reason("not trusted").build();
      PeerIdentity p = mac(untrusted);
      for (String clause : new String[] {"team = \"TEAM123456\"", "identifier = \"com.vendor.client\"",
          "anchor apple generic", "hardened", "entitlement \"com.apple.security.app-sandbox\""}) {
        reasonContains(denied(clause, p), "signature is untrusted", "signer facts count only for a valid signature");
      }
    }

    @Test
    void appleRootVouchesForSignerFactsButNotForSigned() {
      CodeSignature appleOnly = CodeSignature.builder(SignatureFormat.MACHO, SignatureStatus.UNTRUSTED)
          .signer(apple).attribute("appleAnchor", "apple-generic").attribute("hardenedRuntime", "true")
          .attribute("entitlements", "com.apple.security.app-sandbox").reason("not in the trust store").build();
      PeerIdentity p = mac(appleOnly);
      allowed("anchor apple generic and team = \"TEAM123456\" and identifier = \"com.vendor.client\"", p);
      allowed("hardened and entitlement \"com.apple.security.app-sandbox\"", p);
      reasonContains(denied("signed", p), "signature is untrusted");
      reasonContains(denied("anchor apple generic and team = \"OTHERTEAM1\"", p), "OTHERTEAM1");

      CodeSignature broken = appleOnly.toBuilder().status(SignatureStatus.INVALID).build();
      reasonContains(denied("anchor apple generic", mac(broken)), "signature is invalid");
      CodeSignature imaWithAttribute = CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.UNTRUSTED)
          .signer(apple).attribute("appleAnchor", "apple-generic").reason("not trusted").build();
      denied("anchor apple generic", mac(imaWithAttribute));
    }

    @Test
    void appleVouchedSignatureStillGetsTheHardenedRuntimeDefault() {
      CodeSignature soft = CodeSignature.builder(SignatureFormat.MACHO, SignatureStatus.UNTRUSTED)
          .signer(apple).attribute("appleAnchor", "apple-generic").attribute("hardenedRuntime", "false")
          .reason("not in the trust store").build();
      reasonContains(denied("anchor apple generic", mac(soft)), "hardened runtime");
    }

    @Test
    void anchors() {
      PeerIdentity generic = mac(TestPeers.macho(apple, "appleAnchor", "apple-generic", "hardenedRuntime", "true")
          .build());
      allowed("anchor apple generic", generic);
      reasonContains(denied("anchor apple", generic), "Apple anchor is \"apple-generic\"", "anchor apple generic");
      PeerIdentity own = mac(TestPeers.macho(apple, "appleAnchor", "apple", "hardenedRuntime", "true").build());
      allowed("anchor apple", own);
      allowed("anchor apple generic", own);
      reasonContains(denied("anchor apple generic", peer()), "does not chain to an Apple anchor");
      denied("anchor apple generic", mac(TestPeers.macho(apple, "appleAnchor", "something-else").build()));
    }

    @Test
    void hardened() {
      allowed("hardened", mac(TestPeers.macho(apple, "hardenedRuntime", "true").build()));
      reasonContains(denied("hardened", mac(TestPeers.macho(apple, "hardenedRuntime", "false").build())),
          "does not enable the hardened runtime");
      reasonContains(denied("hardened", peer()), "an IMA signature does not say whether the hardened runtime");
    }

    @Test
    void entitlement() {
      PeerIdentity p = mac(TestPeers.macho(apple, "hardenedRuntime", "true", "entitlements",
          "com.apple.security.app-sandbox\ncom.apple.security.network.client\n").build());
      allowed("entitlement \"com.apple.security.network.client\"", p);
      allowed("entitlement \"com.apple.security.app-sandbox\"", p);
      reasonContains(denied("entitlement \"com.apple.security.network\"", p),
          "does not grant com.apple.security.network");
      denied("entitlement \"com.apple.security.app-sandbox\"", peer());
    }
  }

  @Nested
  class RiskFactsPredicates {
    @Test
    void interpreter() {
      PeerIdentity py = TestPeers.running().path("/usr/bin/python3.11").interpreter("python").build();
      reasonContains(allowed("interpreter", py), "/usr/bin/python3.11 is an interpreter (python)");
      reasonContains(denied("interpreter", peer()), "/opt/vendor/bin/client is not a known interpreter");
    }

    @Test
    void traced() {
      reasonContains(allowed("traced", TestPeers.running().traced(77).build()), "traced by pid 77");
      reasonContains(denied("traced", peer()), "the peer is not traced");
    }

    @Test
    void injected() {
      reasonContains(allowed("injected", TestPeers.running().injected("/tmp/evil.so").build()), "/tmp/evil.so");
      reasonContains(denied("injected", peer()), "no injected libraries");
    }
  }
}
