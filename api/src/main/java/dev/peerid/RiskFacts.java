package dev.peerid;

import java.util.List;
import java.util.Optional;

/**
 * Facts that make a valid signature say less than it seems. Policies deny a peer with any of them
 * unless they opt in by naming the fact ({@code interpreter}, {@code traced}).
 *
 * @param interpreter       the interpreter the executable is (e.g. {@code python3}, {@code java}):
 *                          it runs code its signature does not cover
 * @param traced            a debugger or tracer is attached
 * @param tracerPid         the tracer's pid, or {@link ProcessInfo#UNKNOWN}
 * @param injectedLibraries libraries forced into the process (LD_PRELOAD, DYLD_INSERT_LIBRARIES),
 *                          where the platform lets us see them
 */
public record RiskFacts(
    Optional<String> interpreter, boolean traced, long tracerPid, List<String> injectedLibraries) {

  public static final RiskFacts NONE = new RiskFacts(Optional.empty(), false, ProcessInfo.UNKNOWN, List.of());

  public RiskFacts {
    injectedLibraries = List.copyOf(injectedLibraries);
  }

  public RiskFacts withInterpreter(Optional<String> interpreter) {
    return new RiskFacts(interpreter, traced, tracerPid, injectedLibraries);
  }
}
