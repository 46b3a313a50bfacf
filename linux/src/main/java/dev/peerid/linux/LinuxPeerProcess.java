package dev.peerid.linux;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.ExecutableInfo;
import dev.peerid.FileIdentity;
import dev.peerid.Interpreters;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import dev.peerid.SignatureFormat;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux peer pinned by a pidfd (or, on kernels without one, by its start time). Everything about
 * the executable is read through {@code /proc/<pid>/exe}, the inode the process runs.
 */
final class LinuxPeerProcess implements PeerProcess {
  private final LinuxLibc libc;
  private final ProcFs proc;
  private final Environment env;
  private final long pid;
  private final int pidfd;
  private final long startTime;
  private final ProcessInfo process;
  private final ExecutableInfo executable;
  private final RiskFacts risks;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** What a process needs besides its pin: the verifiers and the system's interpreters. */
  record Environment(Optional<ExecutableVerifier> imaVerifier, KnownInterpreters interpreters) {}

  private LinuxPeerProcess(LinuxLibc libc, ProcFs proc, Environment env, long pid, int pidfd, long startTime,
      ProcessInfo process, ExecutableInfo executable, RiskFacts risks) {
    this.libc = libc;
    this.proc = proc;
    this.env = env;
    this.pid = pid;
    this.pidfd = pidfd;
    this.startTime = startTime;
    this.process = process;
    this.executable = executable;
    this.risks = risks;
  }

  /**
   * Reads the facts of a pinned process. Takes ownership of {@code pidfd} (closed here on failure).
   *
   * @param pidfd     a pidfd for {@code pid}, or -1 to pin by start time
   * @param startTime the start time read right after the pid was learnt (only when {@code pidfd} is -1)
   */
  static LinuxPeerProcess read(LinuxLibc libc, ProcFs proc, Environment env, long pid, int pidfd, long startTime,
      Credentials credentials, boolean racy, NameDatabase users, NameDatabase groups)
      throws PeerIdentificationException {
    boolean done = false;
    try {
      String path = proc.exePath(pid);
      FileIdentity identity = proc.exeIdentity(pid);
      ProcFs.Status status = proc.status(pid);
      Credentials c = credentials != null ? credentials : new Credentials(status.euid(), status.egid(), status.groups());
      RiskFacts risks = new RiskFacts(Optional.empty(), status.tracerPid() != 0,
          status.tracerPid(), proc.injectedLibraries(pid));
      String token = pidfd >= 0 ? "pidfd" : "starttime:" + startTime;
      ProcessInfo info = new ProcessInfo(pid, c.uid(), c.gid(), c.groups(), users.name(c.uid()), groups.name(c.gid()),
          token, racy);
      LinuxPeerProcess p = new LinuxPeerProcess(libc, proc, env, pid, pidfd, startTime, info,
          new ExecutableInfo(path, identity), risks);
      // what was read above belongs to this process only if it is still alive now
      p.confirmAlive();
      done = true;
      return p;
    } catch (NoSuchFileException e) {
      // gone, a zombie, or a kernel thread: only the last one is worth its own message
      if (pidfd >= 0 && exitedQuietly(libc, pidfd)) {
        throw new PeerIdentificationException("process " + pid + " exited", e);
      }
      if (Files.isDirectory(proc.exe(pid).getParent())) {
        throw new PeerIdentificationException("process " + pid + " has no executable to identify "
            + "(a kernel thread, or a process that is exiting)", e);
      }
      throw readFailure(pid, e);
    } catch (IOException e) {
      throw readFailure(pid, e);
    } finally {
      if (!done && pidfd >= 0) {
        libc.close(pidfd);
      }
    }
  }

  private static boolean exitedQuietly(LinuxLibc libc, int pidfd) {
    try {
      return libc.hasExited(pidfd);
    } catch (LinuxLibc.ErrnoException e) {
      return false;
    }
  }

  /** Effective ids and supplementary groups. */
  record Credentials(long uid, long gid, List<Long> groups) {}

  @Override
  public ProcessInfo process() {
    return process;
  }

  @Override
  public ExecutableInfo executable() {
    return executable;
  }

  @Override
  public RiskFacts risks() {
    return risks;
  }

  @Override
  public VerifiedExecutable verifyExecutable(VerificationContext context) throws IOException {
    ensureOpen();
    requireSameFile("before verification");
    ExecutableFile file = new ExecutableFile(proc.exe(pid), executable.path());
    VerifiedExecutable verified = env.imaVerifier().isPresent()
        ? env.imaVerifier().get().verify(file, context)
        : VerifiedExecutable.of(CodeSignature.unsigned(SignatureFormat.NONE,
            "no IMA verifier is on the class path, so the signature of " + executable.path() + " was not checked"));
    Optional<String> interpreter = verified.interpreter();
    if (interpreter.isEmpty()) {
      interpreter = Interpreters.byPath(executable.path());
    }
    if (interpreter.isEmpty()) {
      Optional<Digest> known = verified.sha256().isPresent() ? verified.sha256() : verified.signature().digest();
      interpreter = env.interpreters().match(proc.exe(pid), executable.identity(), known);
    }
    // a file that changed while it was read must not be cached under the identity seen at attach
    requireSameFile("during verification");
    return new VerifiedExecutable(verified.signature(), interpreter, verified.sha256());
  }

  private void requireSameFile(String when) throws IOException {
    FileIdentity now;
    try {
      now = proc.exeIdentity(pid);
    } catch (NoSuchFileException e) {
      throw new IOException("process " + pid + " exited " + when, e);
    }
    if (!now.equals(executable.identity())) {
      throw new IOException("the executable of process " + pid + " (" + executable.path() + ") changed " + when);
    }
  }

  @Override
  public void confirmUnchanged() throws PeerIdentificationException {
    ensureOpenForConfirm();
    FileIdentity now;
    try {
      now = proc.exeIdentity(pid);
    } catch (IOException e) {
      confirmAlive();
      throw readFailure(pid, e);
    }
    // alive after the stat: the stat was of our process, not of a successor with the same pid
    confirmAlive();
    if (!now.equals(executable.identity())) {
      throw new PeerIdentificationException("executable changed: process " + pid + " no longer runs the file "
          + executable.path() + " it ran when it was identified (did it exec another program?)");
    }
  }

  private void confirmAlive() throws PeerIdentificationException {
    if (pidfd >= 0) {
      boolean exited;
      try {
        exited = pidfdExited();
      } catch (LinuxLibc.ErrnoException e) {
        throw new PeerIdentificationException("cannot tell whether process " + pid + " is alive: " + e.getMessage(), e);
      }
      if (exited) {
        throw new PeerIdentificationException("process " + pid + " exited");
      }
      return;
    }
    long now;
    try {
      now = proc.startTime(pid);
    } catch (NoSuchFileException e) {
      throw new PeerIdentificationException("process " + pid + " exited", e);
    } catch (IOException e) {
      throw new PeerIdentificationException("cannot read the start time of process " + pid + ": " + e.getMessage(), e);
    }
    if (now != startTime) {
      throw new PeerIdentificationException("pid reused: process " + pid + " exited and the pid now names "
          + "another process (start time " + now + ", was " + startTime + ")");
    }
  }

  static PeerIdentificationException readFailure(long pid, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new PeerIdentificationException("process " + pid + " exited", e);
    }
    if (e instanceof AccessDeniedException) {
      return new PeerIdentificationException("permission denied reading /proc/" + pid
          + ": the server must run as the peer's user or have CAP_SYS_PTRACE to identify it", e);
    }
    return new PeerIdentificationException("cannot read /proc/" + pid + ": " + e, e);
  }

  private void ensureOpen() throws IOException {
    if (closed.get()) {
      throw new IOException("the peer process " + pid + " was released (closed)");
    }
  }

  private void ensureOpenForConfirm() throws PeerIdentificationException {
    if (closed.get()) {
      throw new PeerIdentificationException("the peer process " + pid + " was released (closed)");
    }
  }

  // synchronized with close(): polling a descriptor number after it was closed (and perhaps reused) would lie
  private synchronized boolean pidfdExited() throws LinuxLibc.ErrnoException, PeerIdentificationException {
    ensureOpenForConfirm();
    return libc.hasExited(pidfd);
  }

  @Override
  public synchronized void close() {
    if (closed.compareAndSet(false, true) && pidfd >= 0) {
      libc.close(pidfd);
    }
  }

  @Override
  public String toString() {
    return "LinuxPeerProcess{pid=" + pid + ", " + process.raceToken() + ", exe=" + executable.path() + "}";
  }
}
