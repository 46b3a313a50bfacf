package dev.peerid.spi;

import dev.peerid.ExecutableInfo;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import java.io.IOException;

/**
 * A peer process pinned by a backend (Linux pidfd, macOS audit token, Windows process handle) for
 * as long as this object is open. Everything here costs a few system calls except
 * {@link #verifyExecutable}, which reads the whole executable.
 */
public interface PeerProcess extends AutoCloseable {

  ProcessInfo process();

  ExecutableInfo executable();

  /** Per-process risk facts (tracer, injected libraries); interpreter-ness comes from the file. */
  RiskFacts risks();

  /** Reads and verifies the executable this process runs (the running inode, not its path). */
  VerifiedExecutable verifyExecutable(VerificationContext context) throws IOException;

  /**
   * Confirms the process is still the one that was pinned: alive, same pid, same executable file.
   * Cheap enough to call per request.
   */
  void confirmUnchanged() throws PeerIdentificationException;

  /** Releases what pins the process (pidfd, handle). Idempotent. */
  @Override
  void close();
}
