package dev.peerid;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed policy expression. Implementations are immutable; {@link #evaluate} never throws for
 * any identity and never short-circuits, so that a denial lists every failed clause.
 */
interface PolicyExpr {

  PolicyOutcome evaluate(PeerIdentity identity);

  /** The expression in canonical policy syntax, for reasons and messages. */
  String describe();

  /** Binding strength, so that {@link #describe()} adds parentheses only where needed. */
  default int precedence() {
    return 3;
  }

  /** {@code a or b or ...}: holds when any alternative holds. */
  record AnyOf(List<PolicyExpr> alternatives) implements PolicyExpr {
    public AnyOf {
      alternatives = List.copyOf(alternatives);
    }

    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      List<String> satisfied = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (PolicyExpr alternative : alternatives) {
        PolicyOutcome outcome = alternative.evaluate(identity);
        if (outcome.holds()) {
          satisfied.addAll(outcome.reasons());
          // One satisfied alternative is enough to explain an allow.
          return new PolicyOutcome(true, satisfied);
        }
        failures.add(String.join("; ", outcome.reasons()));
      }
      StringBuilder sb = new StringBuilder("none of the ").append(alternatives.size())
          .append(" alternatives of '").append(abbreviate(describe())).append("' holds (satisfy any one)");
      for (int i = 0; i < failures.size(); i++) {
        sb.append(i == 0 ? ": " : "; ").append('[').append(i + 1).append("] ").append(failures.get(i));
      }
      return PolicyOutcome.fails(sb.toString());
    }

    @Override
    public String describe() {
      return join(alternatives, " or ", precedence());
    }

    @Override
    public int precedence() {
      return 0;
    }
  }

  /** {@code a and b and ...}: holds when every clause holds. */
  record AllOf(List<PolicyExpr> clauses) implements PolicyExpr {
    public AllOf {
      clauses = List.copyOf(clauses);
    }

    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      List<String> satisfied = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (PolicyExpr clause : clauses) {
        PolicyOutcome outcome = clause.evaluate(identity);
        (outcome.holds() ? satisfied : failures).addAll(outcome.reasons());
      }
      return failures.isEmpty() ? new PolicyOutcome(true, satisfied) : new PolicyOutcome(false, failures);
    }

    @Override
    public String describe() {
      return join(clauses, " and ", precedence());
    }

    @Override
    public int precedence() {
      return 1;
    }
  }

  /** {@code not a}: holds when {@code a} does not. */
  record Not(PolicyExpr operand) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      PolicyOutcome inner = operand.evaluate(identity);
      if (inner.holds()) {
        return PolicyOutcome.fails("'" + abbreviate(operand.describe()) + "' holds but the policy requires it not to: "
            + String.join("; ", inner.reasons()));
      }
      // Kept short: an allow only needs to say which clause held.
      return PolicyOutcome.holds(abbreviate(describe()) + " (" + abbreviate(String.join("; ", inner.reasons())) + ")");
    }

    @Override
    public String describe() {
      return "not " + wrap(operand, precedence());
    }

    @Override
    public int precedence() {
      return 2;
    }
  }

  /** Shortens a long clause for a message; the full text is in {@link Policy#text()}. */
  static String abbreviate(String clause) {
    return clause.length() <= 160 ? clause : clause.substring(0, 150) + " ...";
  }

  /** A string in policy syntax: double quotes, with {@code \"} and {@code \\} escaped. */
  static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static String join(List<PolicyExpr> parts, String separator, int precedence) {
    StringBuilder sb = new StringBuilder();
    for (PolicyExpr part : parts) {
      if (sb.length() > 0) {
        sb.append(separator);
      }
      sb.append(wrap(part, precedence + 1));
    }
    return sb.toString();
  }

  private static String wrap(PolicyExpr part, int minimum) {
    return part.precedence() < minimum ? "(" + part.describe() + ")" : part.describe();
  }
}
