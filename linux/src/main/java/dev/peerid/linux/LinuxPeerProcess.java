package dev.peerid.linux;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.ExecutableInfo;
import dev.peerid.FileIdentity;
import dev.peerid.Interpreters;
import dev.peerid.MemoryProtection;
import dev.peerid.Namespaces;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Linux peer pinned by a pidfd (or, on kernels without one, by its start time). Everything about
 * the executable is read through {@code /proc/<pid>/exe}, the inode the process runs.
 */
final class LinuxPeerProcess implements PeerProcess {
  /**
   * Past this many threads a peer counts as traced: not every thread's tracer was looked at. The
   * scan runs where attach runs (an event loop, for the Netty handler) at ≈ 3 µs a thread, so the
   * bound is also what one connection may cost there.
   */
  static final int MAX_THREADS_CHECKED = 256;

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
  record Environment(Optional<ExecutableVerifier> imaVerifier, KnownInterpreters interpreters,
      Optional<MappedLibraries> mappedLibraries, Optional<ModifiedCode> modifiedCode, ServerNamespaces namespaces) {}

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
      ProcFs.Exe exe = proc.exeSnapshot(pid);
      String path = exe.path();
      FileIdentity identity = exe.identity();
      ProcFs.Status status = proc.status(pid);
      Credentials c = credentials != null ? credentials : new Credentials(status.euid(), status.egid(), status.groups());
      long tracer = status.tracerPid() != 0 ? status.tracerPid() : proc.otherThreadTracer(pid, MAX_THREADS_CHECKED);
      Namespaces namespaces = env.namespaces().of(proc, pid);
      MemoryProtection protection = ServerNamespaces.protection(proc.dumpOwner(pid), namespaces.ownUser());
      boolean pathNamesTheFile = namesTheFile(proc, path, identity, namespaces);
      List<String> injected = proc.injectedLibraries(pid);
      if (env.mappedLibraries().isPresent()) {
        injected = new java.util.ArrayList<>(injected);
        String maps = MappedLibraries.read(proc.maps(pid));
        injected.addAll(env.mappedLibraries().get().untrusted(maps, path, identity, proc.root(pid),
            Interpreters.byPath(path).isEmpty()));
        // the strict backend also holds the executable's code in memory to the file it verifies
        if (env.modifiedCode().isPresent()) {
          injected.addAll(env.modifiedCode().get().check(proc, pid, maps, path, identity));
        }
      }
      RiskFacts risks = new RiskFacts(Optional.empty(), tracer != 0,
          tracer >= 0 ? tracer : ProcessInfo.UNKNOWN, injected, namespaces, protection);
      String token = pidfd >= 0 ? "pidfd" : "starttime:" + startTime;
      ProcessInfo info = new ProcessInfo(pid, c.uid(), c.gid(), c.groups(), users.name(c.uid()), groups.name(c.gid()),
          token, racy);
      LinuxPeerProcess p = new LinuxPeerProcess(libc, proc, env, pid, pidfd, startTime, info,
          new ExecutableInfo(path, identity, Optional.empty(), pathNamesTheFile), risks);
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

  /**
   * The facts of a pinned process as a recent full read found them, after checking, with one
   * {@code statx} through the {@code /proc/<pid>} descriptor bound to it, that it still runs the
   * same file: an exec of another program, or a change to the file, shows there. Null, with the
   * pidfd still open and the caller's, when it does not or cannot be read now (it may have
   * exited): the caller then reads it in full, which gives the right error. Takes ownership of the
   * pidfd otherwise (closed here if this throws).
   */
  static LinuxPeerProcess readKnown(LinuxLibc libc, ProcFs proc, Environment env, int pidfd,
      RecentProcesses.Known known, Credentials credentials, NameDatabase users, NameDatabase groups) {
    RiskFacts risks = known.risks;
    try {
      if (!proc.exeIdentityAt(known.pid, known.procDir).equals(known.exe.identity())) {
        return null;
      }
      // every connection: a process can enter a user namespace of its own at any moment (and never
      // leave it, so one already in its own needs no look)
      if (!risks.namespaced() && !env.namespaces().sharesUserNamespace(proc, known.pid, known.procDir)) {
        return null; // it did since the full read: read it in full again (its mounts may differ too)
      }
      // a protected process can make itself dumpable again (prctl), which lets others of its user
      // write into it: a protected verdict is read fresh on every connection. The other way round
      // (made non-dumpable since) is seen by the next full read: until then it is wrongly
      // unprotected, which only refuses what a policy requiring 'protected' would have allowed.
      // (a process running as root is protected whatever its flag: no ordinary user may write into it)
      if (risks.protection() == MemoryProtection.PROTECTED && credentials.uid() != 0) {
        MemoryProtection now = ServerNamespaces.protection(proc.dumpOwnerAt(known.pid, known.procDir), risks.namespaced());
        if (now != MemoryProtection.PROTECTED) {
          risks = new RiskFacts(risks.interpreter(), risks.traced(), risks.tracerPid(), risks.injectedLibraries(),
              risks.namespaces(), now);
        }
      }
    } catch (IOException e) {
      return null;
    }
    try {
      ProcessInfo info = new ProcessInfo(known.pid, credentials.uid(), credentials.gid(), credentials.groups(),
          users.name(credentials.uid()), groups.name(credentials.gid()), "pidfd", false);
      return new LinuxPeerProcess(libc, proc, env, known.pid, pidfd, -1, info, known.exe, risks);
    } catch (RuntimeException e) {
      libc.close(pidfd);
      throw e;
    }
  }

  /**
   * Whether {@code path}, looked up here, in the server's mount namespace and root, is the file the
   * process runs: not so for a deleted file (the kernel appends " (deleted)"), nor for a path that,
   * in the peer's own mount namespace or root, led to another file than it does here (looked up
   * only then).
   */
  private static boolean namesTheFile(ProcFs proc, String path, FileIdentity identity, Namespaces namespaces) {
    if (path.endsWith(" (deleted)")) {
      return false;
    }
    if (!namespaces.ownMount() && !namespaces.ownRoot()) {
      // the kernel wrote the path of the running file's own entry, as the server sees the tree:
      // only a mount made over it since (privilege over the server's mounts) could change that
      return true;
    }
    FileIdentity here = proc.lookUp(path);
    return here != null && here.device() == identity.device() && here.inode() == identity.inode();
  }

  /**
   * Opens this process's {@code /proc/<pid>} for {@link RecentProcesses}, confirmed to be bound to
   * this process (it was alive after the open, so the pid was still its own). The caller owns the
   * descriptor.
   */
  int openProcessDirectory() throws IOException, PeerIdentificationException {
    int dir = proc.openProcessDirectory(pid);
    try {
      confirmAlive();
    } catch (PeerIdentificationException e) {
      libc.close(dir);
      throw e;
    }
    return dir;
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
    // Open the magic link once and read everything (identity, path, bytes, xattr) through our own
    // descriptor: /proc/self/fd/N names that one open file even if the peer execs another program
    // meanwhile. Two separate lookups of /proc/<pid>/exe could land on different programs of an
    // exec loop and bind one file's verdict to the other's identity in the cache.
    int fd;
    try {
      fd = proc.openExe(pid);
    } catch (NoSuchFileException e) {
      throw new IOException("process " + pid + " exited before verification", e);
    }
    try {
      Path held = ProcFs.heldFile(fd);
      FileIdentity identity = FileIdentity.of(held);
      String path = Files.readSymbolicLink(held).toString();
      if (!identity.equals(executable.identity()) || !path.equals(executable.path())) {
        throw new IOException("the executable of process " + pid + " (" + executable.path()
            + ") changed before verification (now " + path + ")");
      }
      if (onFuse(fd)) {
        // a FUSE server (which any user may run) answers exec and our read separately, and picks
        // the device, inode and times that key the cache: its bytes prove nothing
        return VerifiedExecutable.of(CodeSignature.invalid(SignatureFormat.IMA, path
            + " is on a FUSE filesystem, which can give the kernel and peerid different bytes for the same file;"
            + " executables on FUSE are not verified"));
      }
      ExecutableFile file = new ExecutableFile(held, path, executable.pathNamesTheFile());
      VerifiedExecutable verified = env.imaVerifier().isPresent()
          ? env.imaVerifier().get().verify(file, context)
          : VerifiedExecutable.of(CodeSignature.unsigned(SignatureFormat.NONE,
              "no IMA verifier is on the class path, so the signature of " + path + " was not checked"));
      Optional<String> interpreter = verified.interpreter();
      if (interpreter.isEmpty()) {
        interpreter = Interpreters.byPath(path);
      }
      if (interpreter.isEmpty()) {
        Optional<Digest> known = verified.sha256().isPresent() ? verified.sha256() : verified.signature().digest();
        interpreter = env.interpreters().match(held, identity, known);
      }
      // the inode cannot be swapped under our descriptor, but its content or xattr can change while
      // it is read (a file not being executed is writable): such a result must not be cached
      if (!FileIdentity.of(held).equals(identity)) {
        throw new IOException("the executable of process " + pid + " (" + path + ") changed during verification");
      }
      return new VerifiedExecutable(verified.signature(), interpreter, verified.sha256());
    } finally {
      libc.close(fd);
    }
  }

  private boolean onFuse(int fd) {
    try {
      return libc.filesystemType(fd) == LinuxLibc.FUSE_SUPER_MAGIC;
    } catch (LinuxLibc.ErrnoException e) {
      return false; // unknown: the signature check still decides
    }
  }

  @Override
  public void confirmUnchanged() throws PeerIdentificationException {
    ensureOpenForConfirm();
    FileIdentity now;
    boolean enteredUserNamespace;
    try {
      now = proc.exeIdentity(pid);
      // a peer judged in the server's user namespace that has entered one of its own since could
      // rename its executable from now on
      enteredUserNamespace = !risks.namespaced() && env.namespaces().inOwnUserNamespace(proc, pid);
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
    if (enteredUserNamespace) {
      throw new PeerIdentificationException("process " + pid + " entered a user namespace of its own after it was"
          + " identified: there it can point its /proc/PID/exe at any file, so it is no longer the peer that was verified");
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
