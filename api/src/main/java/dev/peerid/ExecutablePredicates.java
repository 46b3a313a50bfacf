package dev.peerid;

import static dev.peerid.PolicyExpr.quote;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/** Predicates on the executable file and the platform. */
final class ExecutablePredicates {
  private ExecutablePredicates() {}

  /**
   * {@code path = "..."}: the path exactly as the operating system reports it (so a deleted or
   * replaced executable, reported with a {@code " (deleted)"} suffix on Linux, does not match).
   */
  record PathIs(String path) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      String actual = identity.executable().path();
      if (!actual.equals(path)) {
        return PolicyOutcome.fails(describe() + " does not hold: the executable is " + actual);
      }
      return unconfirmed(describe(), identity.executable()).orElse(PolicyOutcome.holds(describe()));
    }

    @Override
    public String describe() {
      return "path = " + quote(path);
    }
  }

  /** {@code path matches "glob"}; see {@link PathGlob}. */
  record PathMatches(PathGlob glob) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      String actual = identity.executable().path();
      if (!glob.matches(actual)) {
        return PolicyOutcome.fails(describe() + " does not hold: the executable is " + actual);
      }
      return unconfirmed(describe(), identity.executable())
          .orElse(PolicyOutcome.holds(describe() + " (" + actual + ")"));
    }

    @Override
    public String describe() {
      return "path matches " + quote(glob.pattern());
    }
  }

  /** A failure when the path, where the server looks, is not the running file. */
  private static Optional<PolicyOutcome> unconfirmed(String clause, ExecutableInfo executable) {
    return executable.pathNamesTheFile() ? Optional.empty()
        : Optional.of(PolicyOutcome.fails(clause + " does not hold: " + executable.path() + " is not the file the"
            + " peer runs where the server looks it up (the file was deleted or replaced, or the peer sees its own"
            + " mount namespace or root)"));
  }

  /** {@code sha256 = HEX}: the SHA-256 of the whole executable file, compared in constant time. */
  record Sha256Is(byte[] expected) implements PolicyExpr {
    Sha256Is {
      expected = expected.clone();
    }

    @Override
    public byte[] expected() {
      return expected.clone();
    }

    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      Optional<Digest> digest = identity.executable().sha256();
      if (digest.isEmpty()) {
        return PolicyOutcome.fails(describe() + " does not hold: the executable's SHA-256 was not computed");
      }
      if (!digest.get().algorithm().equalsIgnoreCase("SHA-256")) {
        return PolicyOutcome.fails(describe() + " does not hold: the executable's digest is "
            + digest.get().algorithm() + ", not SHA-256");
      }
      return MessageDigest.isEqual(digest.get().value(), expected) ? PolicyOutcome.holds(describe())
          : PolicyOutcome.fails(describe() + " does not hold: the executable " + identity.executable().path()
              + " has SHA-256 " + digest.get().hex());
    }

    @Override
    public String describe() {
      return "sha256 = " + HexFormat.of().formatHex(expected);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Sha256Is other && MessageDigest.isEqual(other.expected, expected);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(expected);
    }

    @Override
    public String toString() {
      return describe();
    }
  }

  /** {@code platform = linux|macos|windows}. */
  record PlatformIs(Platform platform) implements PolicyExpr {
    @Override
    public PolicyOutcome evaluate(PeerIdentity identity) {
      return identity.platform() == platform ? PolicyOutcome.holds(describe())
          : PolicyOutcome.fails(describe() + " does not hold: the peer runs on " + identity.platform().id());
    }

    @Override
    public String describe() {
      return "platform = " + platform.id();
    }
  }
}
