package dev.peerid;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Facts that make a valid signature say less than it seems. Policies deny a peer with any of them
 * unless they opt in by naming the fact ({@code interpreter}, {@code traced}, {@code injected},
 * {@code namespaced}).
 *
 * @param interpreter       the interpreter the executable is (e.g. {@code python3}, {@code java}):
 *                          it runs code its signature does not cover
 * @param traced            a debugger or tracer is attached
 * @param tracerPid         the tracer's pid, or {@link ProcessInfo#UNKNOWN}
 * @param injectedLibraries libraries forced into the process (LD_PRELOAD, DYLD_INSERT_LIBRARIES),
 *                          where the platform lets us see them
 * @param namespaces        whether the peer runs in namespaces of its own ({@link Namespaces#SERVERS}
 *                          where the platform has none)
 * @param protection        whether other processes of its user can write into it
 */
public record RiskFacts(
    Optional<String> interpreter, boolean traced, long tracerPid, List<String> injectedLibraries,
    Namespaces namespaces, MemoryProtection protection) {

  public static final RiskFacts NONE = new RiskFacts(Optional.empty(), false, ProcessInfo.UNKNOWN, List.of());

  public RiskFacts {
    Objects.requireNonNull(interpreter, "interpreter");
    injectedLibraries = List.copyOf(injectedLibraries);
    Objects.requireNonNull(namespaces, "namespaces");
    Objects.requireNonNull(protection, "protection");
  }

  /** Facts of a platform without namespaces, or that cannot tell whether the peer is protected. */
  public RiskFacts(Optional<String> interpreter, boolean traced, long tracerPid, List<String> injectedLibraries) {
    this(interpreter, traced, tracerPid, injectedLibraries, Namespaces.SERVERS, MemoryProtection.UNKNOWN);
  }

  /**
   * The peer runs in a user namespace other than the server's, where it may have renamed its own
   * executable: its signature is no evidence of the code it runs.
   */
  public boolean namespaced() {
    return namespaces.ownUser();
  }

  public RiskFacts withInterpreter(Optional<String> interpreter) {
    return new RiskFacts(interpreter, traced, tracerPid, injectedLibraries, namespaces, protection);
  }
}
