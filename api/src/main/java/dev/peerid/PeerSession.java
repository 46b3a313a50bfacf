package dev.peerid;

import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.ReadSenders;
import java.util.Objects;
import java.util.Optional;

/**
 * A verdict about a connected peer, with the peer process kept pinned (pidfd, audit token,
 * process handle) for the life of the connection so that {@link #revalidate()} can check, cheaply
 * and per request, that the same process still runs the same executable.
 *
 * <p>What revalidation does not close: a process that keeps the socket and hands it to another
 * process, or that is ptrace'd by the same user after the check. {@link #senderCheck} closes the
 * first: it names the writer of every read. See {@code docs/security.md}.
 */
public final class PeerSession implements AutoCloseable {
  private final Verdict verdict;
  private final PeerProcess process;
  private final PeerBackend backend;

  PeerSession(Verdict verdict, PeerProcess process) {
    this(verdict, process, null);
  }

  PeerSession(Verdict verdict, PeerProcess process, PeerBackend backend) {
    this.verdict = Objects.requireNonNull(verdict, "verdict");
    this.process = process;
    this.backend = backend;
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

  /**
   * A check of the writer of each read from {@code socket}, the connection this session's peer was
   * verified on (the caller keeps it open and owns it). Throws {@link PeerDeniedException} for a
   * denied peer, {@link PeerIdentificationException} when the check cannot be set up (the peer
   * exited, the socket is closed), and {@link UnsupportedOperationException} where the backend
   * cannot tell the writer of a read (macOS, Windows: see {@code docs/security.md}). Close the check.
   */
  public SenderCheck senderCheck(PeerHandle socket) throws PeerVerificationException {
    Objects.requireNonNull(socket, "socket");
    verdict.requireAllowed();
    if (process == null || backend == null) {
      throw new PeerIdentificationException("the peer process was never pinned");
    }
    Optional<ReadSenders> senders = backend.readSenders(socket, process);
    if (senders.isEmpty()) {
      throw new UnsupportedOperationException("the " + backend.platform().id()
          + " backend cannot tell which process wrote each read");
    }
    return new SenderCheck(senders.get());
  }

  /** The pinned process, for {@link SenderCheck#admit}; null for a session that pinned none. */
  PeerProcess process() {
    return process;
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
