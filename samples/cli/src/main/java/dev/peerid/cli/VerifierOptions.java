package dev.peerid.cli;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.TrustStoreException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** What verify and inspect share: whom to trust, what is revoked, the policy, the output form. */
final class VerifierOptions {
  @Option(names = "--trust", paramLabel = "[NAME=]PATH",
      description = "Trusted certificate, public key, or directory of them (repeatable).")
  List<String> trust = new ArrayList<>();

  @Option(names = "--trust-tsa", paramLabel = "[NAME=]PATH",
      description = "Trusted timestamp authority for Authenticode timestamps, never a publisher; same forms as "
          + "--trust (repeatable).")
  List<String> trustTsa = new ArrayList<>();

  @Option(names = "--revoke", paramLabel = "VALUE",
      description = "Revoked certificate or key PATH, 8-hex-digit IMA key id, or sha256:HEX (repeatable).")
  List<String> revoke = new ArrayList<>();

  @Option(names = "--policy", paramLabel = "EXPR", defaultValue = "signed",
      description = "Who is allowed (default: ${DEFAULT-VALUE}).")
  String policy;

  @Option(names = "--json", description = "One JSON object per line per input.")
  boolean json;

  TrustStore.Builder trustStore() throws UsageException {
    TrustStore.Builder trustStore = TrustStore.builder();
    try {
      for (String t : trust) {
        trustStore.trust(t);
      }
      for (String t : trustTsa) {
        trustStore.trustTimestampAuthority(t);
      }
      for (String r : revoke) {
        trustStore.revoke(r);
      }
    } catch (TrustStoreException | IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    return trustStore;
  }

  PeerVerifier.Builder verifier() throws UsageException {
    Policy parsed;
    try {
      parsed = Policy.parse(policy);
    } catch (PolicyParseException e) {
      throw new UsageException("bad --policy: " + e.getMessage(), e);
    }
    return PeerVerifier.builder().trustStore(trustStore().build()).policy(parsed).threads(1);
  }
}
