package dev.peerid;

import static dev.peerid.PolicyExpr.quote;

import java.util.Arrays;
import java.util.Optional;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;

/**
 * Predicates on the peer process: its effective uid and gid and their names. They need a running
 * peer: on a file checked on its own they are false and say so. Only the effective gid is compared;
 * supplementary groups are not consulted. An id the platform cannot supply
 * ({@link ProcessInfo#UNKNOWN}) satisfies no comparison, not even {@code !=}.
 */
final class ProcessPredicates {
  private ProcessPredicates() {}

  /** uid or gid. */
  enum Id {
    UID("uid", ProcessInfo::uid),
    GID("gid", ProcessInfo::gid);

    final String keyword;
    final ToLongFunction<ProcessInfo> read;

    Id(String keyword, ToLongFunction<ProcessInfo> read) {
      this.keyword = keyword;
      this.read = read;
    }
  }

  /** The comparison operators. */
  enum Comparison {
    EQ("="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

    final String symbol;

    Comparison(String symbol) {
      this.symbol = symbol;
    }

    static Optional<Comparison> bySymbol(String symbol) {
      return Arrays.stream(values()).filter(c -> c.symbol.equals(symbol)).findFirst();
    }

    boolean test(long actual, long expected) {
      switch (this) {
        case EQ:
          return actual == expected;
        case NE:
          return actual != expected;
        case LT:
          return actual < expected;
        case LE:
          return actual <= expected;
        case GT:
          return actual > expected;
        case GE:
        default:
          return actual >= expected;
      }
    }
  }

  static Optional<PolicyOutcome> unlessProcess(String clause, String keyword, PeerIdentity identity) {
    if (identity.process().isPresent()) {
      return Optional.empty();
    }
    return Optional.of(PolicyOutcome.fails(clause + " does not hold: no process: " + keyword
        + " applies to running peers only (" + identity.executable().path() + " was checked as a file)"));
  }

  /** {@code uid CMP n}, {@code gid CMP n}. */
  record Compare(Id id, Comparison comparison, long value) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      Optional<PolicyOutcome> noProcess = unlessProcess(describe(), id.keyword, identity);
      if (noProcess.isPresent()) {
        return noProcess.get();
      }
      long actual = id.read.applyAsLong(identity.process().get());
      if (actual == ProcessInfo.UNKNOWN) {
        return PolicyOutcome.fails(describe() + " does not hold: the peer's " + id.keyword
            + " is not known on this platform");
      }
      return comparison.test(actual, value) ? PolicyOutcome.holds(describe() + " (" + id.keyword + " " + actual + ")")
          : PolicyOutcome.fails(describe() + " does not hold: the peer runs as " + id.keyword + " " + actual);
    }

    @Override
    public String describe() {
      return id.keyword + " " + comparison.symbol + " " + value;
    }
  }

  /** {@code uid in [a, b, ...]}, {@code gid in [...]}. */
  record In(Id id, long[] sortedValues) implements PolicyExpr {
    In {
      sortedValues = sortedValues.clone();
      Arrays.sort(sortedValues);
    }

    @Override
    public long[] sortedValues() {
      return sortedValues.clone();
    }

    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      Optional<PolicyOutcome> noProcess = unlessProcess(describe(), id.keyword, identity);
      if (noProcess.isPresent()) {
        return noProcess.get();
      }
      long actual = id.read.applyAsLong(identity.process().get());
      if (actual == ProcessInfo.UNKNOWN) {
        return PolicyOutcome.fails(describe() + " does not hold: the peer's " + id.keyword
            + " is not known on this platform");
      }
      return Arrays.binarySearch(sortedValues, actual) >= 0
          ? PolicyOutcome.holds(id.keyword + " " + actual + " is in the list")
          : PolicyOutcome.fails(PolicyExpr.abbreviate(describe()) + " does not hold: the peer runs as "
              + id.keyword + " " + actual);
    }

    @Override
    public String describe() {
      return id.keyword + " in [" + Arrays.stream(sortedValues).mapToObj(Long::toString)
          .collect(Collectors.joining(", ")) + "]";
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof In other && other.id == id && Arrays.equals(other.sortedValues, sortedValues);
    }

    @Override
    public int hashCode() {
      return id.hashCode() * 31 + Arrays.hashCode(sortedValues);
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code user = "name"} and {@code group = "name"}: the names of the effective uid and gid. */
  record Name(Id id, String name) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      String keyword = id == Id.UID ? "user" : "group";
      Optional<PolicyOutcome> noProcess = unlessProcess(describe(), keyword, identity);
      if (noProcess.isPresent()) {
        return noProcess.get();
      }
      ProcessInfo process = identity.process().get();
      Optional<String> actual = id == Id.UID ? process.userName() : process.groupName();
      long number = id.read.applyAsLong(process);
      if (actual.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: the name of " + id.keyword + " " + number
            + " could not be resolved");
      }
      return actual.get().equals(name) ? PolicyOutcome.holds(describe())
          : PolicyOutcome.fails(describe() + " does not hold: the peer runs as " + keyword + " "
              + quote(actual.get()) + " (" + id.keyword + " " + number + ")");
    }

    @Override
    public String describe() {
      return (id == Id.UID ? "user" : "group") + " = " + quote(name);
    }
  }
}
