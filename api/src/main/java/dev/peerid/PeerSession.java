package dev.peerid;

import dev.peerid.spi.PeerProcess;
import java.util.Objects;

/**
 * A verdict about a connected peer, with the peer process kept pinned (pidfd, audit token,
 * process handle) for the life of the connection so that {@link #revalidate()} can check, cheaply
 * and per request, that the same process still runs the same executable.
 *
 * <p>What revalidation does not close: a process that keeps the socket and hands it to another
 * process, or that is ptrace'd by the same user after the check. See {@code docs/security.md}.
 */
public final class PeerSession implements AutoCloseable {
  private final Verdict verdict;
  private final PeerProcess process;

  PeerSession(Verdict verdict, PeerProcess process) {
    this.verdict = Objects.requireNonNull(verdict, "verdict");
    this.process = process;
  }

  public Verdict verdict() {
    return verdict;
  }

  /** The identity of an allowed peer; throws {@link PeerDeniedException} for a denial. */
  public PeerIdentity requireAllowed() throws PeerDeniedException {
    return verdict.requireAllowed();
  }

  /**
   * Throws unless the peer process that was verified is still alive and runs the same executable
   * file (and, on Linux, has not entered a user namespace of its own since, where it could rename
   * its executable). Costs a few system calls.
   */
  public void revalidate() throws PeerVerificationException {
    verdict.requireAllowed();
    if (process == null) {
      throw new PeerIdentificationException("the peer process was never pinned");
    }
    process.confirmUnchanged();
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
