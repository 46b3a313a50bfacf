package dev.peerid.bench;

import dev.peerid.CodeSignature;
import dev.peerid.ExecutableInfo;
import dev.peerid.FileIdentity;
import dev.peerid.PeerIdentity;
import dev.peerid.Platform;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a policy decision costs on the cached path of a live peer: {@link Policy#evaluate} for a
 * few typical policies, allowed and denied, side by side with the plain {@code signed} policy as
 * the baseline. Also the one-off cost of {@link Policy#parse}. Run its {@code main}; it prints the
 * median nanoseconds per call over several rounds and the ratio to the baseline.
 */
public final class PolicyEvaluationBenchmark {
  private static final int ROUNDS = 15;
  private static final int CALLS_PER_ROUND = 20_000;
  private static volatile Object sink;

  private PolicyEvaluationBenchmark() {}

  public static void main(String[] args) throws PolicyParseException {
    PeerIdentity peer = PeerIdentity.ofProcess(Platform.LINUX,
        new ProcessInfo(4242, 1000, 100, List.of(100L), Optional.of("alice"), Optional.of("staff"), "pidfd", false),
        new ExecutableInfo("/opt/vendor/bin/client", new FileIdentity(2049, 77, 123456, 1, 2)),
        CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.VALID)
            .signer(Signer.builder().keyId("1a2b3c4d").trustName("vendor").build()).build(),
        RiskFacts.NONE);
    PeerIdentity python = PeerIdentity.ofProcess(Platform.LINUX,
        new ProcessInfo(4243, 1000, 100, List.of(100L), Optional.of("alice"), Optional.of("staff"), "pidfd", false),
        new ExecutableInfo("/usr/bin/python3.11", new FileIdentity(2049, 78, 5_000_000, 1, 2)),
        CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.UNTRUSTED)
            .signer(Signer.builder().keyId("0badc0de").build()).reason("no trusted key has key id 0badc0de").build(),
        RiskFacts.NONE.withInterpreter(Optional.of("python")));

    String[] policies = {
        "signed",
        "signed by \"vendor\" and uid >= 1000",
        "signed by \"vendor\" and (user = \"alice\" or group = \"wheel\") and path matches \"/opt/**/bin/*\"",
        "signed by \"other\" or uid in [0, 1, 2, 3] or platform = macos",
    };
    double baseline = 0;
    System.out.printf("%-100s %12s %12s %8s%n", "policy (peer)", "ns/evaluate", "ns/parse", "ratio");
    for (String text : policies) {
      Policy policy = Policy.parse(text);
      for (PeerIdentity id : new PeerIdentity[] {peer, python}) {
        double ns = median(() -> sink = policy.evaluate(id));
        if (baseline == 0) {
          baseline = ns;
        }
        double parse = median(() -> {
          try {
            sink = Policy.parse(text);
          } catch (PolicyParseException e) {
            throw new IllegalStateException(e);
          }
        });
        String label = text + (id == peer ? "  (signed client)" : "  (untrusted python)");
        System.out.printf("%-100s %12.0f %12.0f %8.2f%n", label, ns, parse, ns / baseline);
      }
    }
  }

  private static double median(Runnable call) {
    for (int i = 0; i < CALLS_PER_ROUND * 5; i++) {
      call.run();
    }
    double[] perCall = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long start = System.nanoTime();
      for (int i = 0; i < CALLS_PER_ROUND; i++) {
        call.run();
      }
      perCall[r] = (System.nanoTime() - start) / (double) CALLS_PER_ROUND;
    }
    Arrays.sort(perCall);
    return perCall[ROUNDS / 2];
  }
}
