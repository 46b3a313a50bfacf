package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Apple predicates of the policy language over real signed files, through PeerVerifier. */
class MachOPolicyTest {
  @TempDir Path tmp;

  private Verdict verdict(String resource, String policy, TrustStore trust) throws Exception {
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(trust).policy(Policy.parse(policy)).build()) {
      return verifier.verifyFile(MachOSamples.copy(resource, tmp));
    }
  }

  private static TrustStore appleRoots() {
    TrustStore.Builder trust = TrustStore.builder();
    AppleRoots.certificates().forEach(root -> trust.trust("apple", root));
    return trust.build();
  }

  @Test
  void anchorAppleGenericAndTeamAcceptTheNamedDeveloperOfflineButSignedNeedsTheTrustStore() throws Exception {
    String policy = "anchor apple generic and team = \"S7ZR395D8U\" and identifier \"org.openjfx.libglass\"";
    Verdict allowed = verdict(MachOSamples.JAVAFX_GLASS, policy, appleRoots());
    assertTrue(allowed.isAllowed(), allowed.reasons().toString());

    Verdict otherTeam = verdict(MachOSamples.SWT_PI, policy, appleRoots());
    assertFalse(otherTeam.isAllowed());
    assertTrue(otherTeam.reasons().toString().contains("JCDTMS22B4"), otherTeam.reasons().toString());

    // Apple's pinned root vouches for the Team ID even with an empty trust store, as in Apple's
    // requirement language; "signed" still means "vouched for by the trust store".
    Verdict offline = verdict(MachOSamples.JAVAFX_GLASS, policy, TrustStore.empty());
    assertTrue(offline.isAllowed(), offline.reasons().toString());
    Verdict notSigned = verdict(MachOSamples.JAVAFX_GLASS, "signed", TrustStore.empty());
    assertFalse(notSigned.isAllowed(), "an empty trust store trusts nobody");
    Verdict otherTeamOffline = verdict(MachOSamples.SWT_PI, policy, TrustStore.empty());
    assertFalse(otherTeamOffline.isAllowed());
  }

  @Test
  void aTimestampAuthorityNeverVouchesForAPublisher() throws Exception {
    TrustStore.Builder asTsa = TrustStore.builder();
    AppleRoots.certificates().forEach(root -> asTsa.trustTimestampAuthority("apple", root));
    Verdict v = verdict(MachOSamples.SWT_PI, "signed", asTsa.build());
    assertFalse(v.isAllowed(), "Apple's roots trusted as timestamp authorities vouch for no code signer");
    assertTrue(v.reasons().toString().contains("signature is untrusted"), v.reasons().toString());
    assertTrue(verdict(MachOSamples.SWT_PI, "signed", appleRoots()).isAllowed());
  }

  @Test
  void anchorAppleIsNotDeveloperId() throws Exception {
    Verdict v = verdict(MachOSamples.SWT_PI, "anchor apple", appleRoots());
    assertFalse(v.isAllowed());
    assertTrue(v.reasons().toString().contains("apple-generic"), v.reasons().toString());
  }

  @Test
  void certificateFieldsAndHardenedRuntimeComeFromTheMachOSigner() throws Exception {
    Verdict v = verdict(MachOSamples.SWT_PI,
        "signed and hardened and certificate leaf[subject.OU] = \"JCDTMS22B4\" and certificate root[subject.CN] = \"Apple Root CA\"",
        appleRoots());
    assertTrue(v.isAllowed(), v.reasons().toString());
  }

  @Test
  void adhocNativesAreDeniedEvenWithApplesRootsTrusted() throws Exception {
    Verdict v = verdict(MachOSamples.NETTY_KQUEUE, "signed or anchor apple generic", appleRoots());
    assertFalse(v.isAllowed());
    assertTrue(v.reasons().toString().contains("ad-hoc signature: no signer"), v.reasons().toString());
  }
}
