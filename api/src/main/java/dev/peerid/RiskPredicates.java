package dev.peerid;

import java.util.List;
import java.util.Optional;

/**
 * Predicates on the facts that make a valid signature say less than it seems. Naming one of them
 * anywhere in a policy is also the opt-in that lifts its default denial (see {@link SecureDefaults}).
 */
final class RiskPredicates {
  private RiskPredicates() {}

  /** {@code interpreter}: the executable runs code its signature does not cover. */
  record Interpreter() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      Optional<String> interpreter = identity.risks().interpreter();
      return interpreter.isPresent()
          ? PolicyOutcome.holds("interpreter: " + identity.executable().path() + " is an interpreter ("
              + interpreter.get() + ")")
          : PolicyOutcome.fails("interpreter does not hold: " + identity.executable().path()
              + " is not a known interpreter");
    }

    @Override
    public String describe() {
      return "interpreter";
    }
  }

  /** {@code traced}: a debugger or tracer is attached. */
  record Traced() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      RiskFacts risks = identity.risks();
      return risks.traced() ? PolicyOutcome.holds("traced: " + tracer(risks))
          : PolicyOutcome.fails("traced does not hold: the peer is not traced");
    }

    @Override
    public String describe() {
      return "traced";
    }
  }

  /** {@code injected}: libraries were forced into the process. */
  record Injected() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      List<String> libraries = identity.risks().injectedLibraries();
      return libraries.isEmpty() ? PolicyOutcome.fails("injected does not hold: no injected libraries were seen")
          : PolicyOutcome.holds("injected: " + String.join(", ", libraries));
    }

    @Override
    public String describe() {
      return "injected";
    }
  }

  static String tracer(RiskFacts risks) {
    return risks.tracerPid() == ProcessInfo.UNKNOWN || risks.tracerPid() <= 0
        ? "the peer could not be shown to be untraced (a tracer of unknown pid, or more threads than were checked)"
        : "the peer is traced by pid " + risks.tracerPid();
  }

  /** {@code namespaced}: the peer runs in a user namespace other than the server's. */
  record Namespaced() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return identity.risks().namespaced() ? PolicyOutcome.holds("namespaced: the peer runs in a user namespace of its own")
          : PolicyOutcome.fails("namespaced does not hold: the peer runs in the server's user namespace");
    }

    @Override
    public String describe() {
      return "namespaced";
    }
  }

  /** {@code protected}: other processes of the peer's user cannot trace it or write into its memory. */
  record Protected() implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return switch (identity.risks().protection()) {
        case PROTECTED -> PolicyOutcome.holds("protected: other processes of the peer's user cannot trace it or"
            + " write into its memory");
        case UNPROTECTED -> PolicyOutcome.fails("protected does not hold: any process of the peer's user can trace"
            + " it or write into its memory (it is dumpable" + (identity.risks().namespaced()
                ? ", or in a user namespace its user owns" : "") + "; a client protects itself with"
            + " prctl(PR_SET_DUMPABLE, 0) before it connects)");
        case UNKNOWN -> PolicyOutcome.fails("protected does not hold: " + identity.platform().id()
            + " does not tell whether other processes of the peer's user can write into its memory");
      };
    }

    @Override
    public String describe() {
      return "protected";
    }
  }
}
