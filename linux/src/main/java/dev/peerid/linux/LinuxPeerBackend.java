package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import dev.peerid.SignatureFormat;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Identifies the process on the other end of a Unix-domain socket on Linux: {@code SO_PEERCRED}
 * for its ids, {@code SO_PEERPIDFD} (Linux 6.5+) to pin it against pid reuse, with the process
 * start time as the fallback pin, and {@code /proc/<pid>/exe} for the executable it runs.
 *
 * <p>Accepts {@link PeerHandle.SocketFd}, {@link PeerHandle.ProcessFd} (a pidfd, duplicated: the
 * caller's stays theirs), {@link PeerHandle.ProcessId} (racy: for inspection) and the junixsocket
 * handles made by {@link LinuxPeers}. Loads on every OS and reports itself
 * unsupported off Linux; the system property {@value #DISABLE_PROPERTY}{@code =true} disables it.
 */
public final class LinuxPeerBackend implements PeerBackend {
  /** How long a full read of a peer process serves its next connections, unless told otherwise. */
  public static final long DEFAULT_REUSE_MILLIS = 100;
  /** The longest {@link Builder#reuseProcessFactsFor} accepts. */
  public static final long MAX_REUSE_SECONDS = 10;
  private static final Duration DEFAULT_REUSE = Duration.ofMillis(DEFAULT_REUSE_MILLIS);
  /** Processes known at once; each holds one O_PATH descriptor of its /proc directory. */
  static final int RECENT_PROCESSES = 128;

  /** Made on first use: a backend that reuses nothing (or is unsupported here) starts no thread. */
  private static final class Cleanup {
    static final Cleaner CLEANER = Cleaner.create();
  }

  /** Set to {@code true} to turn this backend off (it can only be disabled, never forced on). */
  public static final String DISABLE_PROPERTY = "dev.peerid.linux.disabled";

  private final LinuxLibc libc;
  private final ProcFs proc;
  private final Throwable unavailable;
  private final NameDatabase users;
  private final NameDatabase groups;
  private volatile LinuxPeerProcess.Environment environment;
  // a kernel does not gain a socket option while running: once it said ENOPROTOOPT, ask no more
  // (a failed JNA call builds two exceptions with stack traces, which cost more than the call)
  private volatile boolean noPeerPidfd;
  private volatile boolean noPeerGroups;
  private final boolean checkMappedLibraries;
  private final ServerNamespaces namespaces;
  private final RecentProcesses recent;
  /** 0 unknown yet, 1 pidfds live on pidfs (Linux 6.9+), -1 they do not: no process can be recognised. */
  private volatile int pidfdsOnPidfs;

  /** The backend {@link ServiceLoader} finds: {@link Builder}'s defaults. */
  public LinuxPeerBackend() {
    this(new Builder());
  }

  /**
   * A backend that also reads each peer's {@code /proc/<pid>/maps} and reports, as injected
   * libraries, executable mappings the peer's user could have placed: libraries not owned by root,
   * writable by group or others, in such a directory, deleted or in memfd. That catches a
   * preloaded library that erased {@code LD_PRELOAD} from its environment and a copied client
   * loading a library through {@code $ORIGIN}. It also reports, as {@code modified:<path>}, an
   * executable whose code or constants in memory, or a library whose code ({@code r-xp} mappings)
   * in memory, are no longer the file's pages (a write through {@code /proc/<pid>/mem}, a
   * debugger's breakpoint, a uprobe), and as {@code unchecked:<path>} one it cannot compare (past
   * 64 MiB of code per peer, executable and libraries together); both are denied unless the policy
   * names {@code injected}. Writes into libraries' constants, writable data, anonymous memory, and
   * code loaded or written after the check stay unseen. It costs a read of {@code maps} and of the
   * {@code pagemap} entries of that code per peer (≈ 30 µs more than the default backend for a
   * small native client, ≈ 115 µs for curl and its 33 libraries), which is why it is not the
   * default. Use it with
   * {@code PeerVerifier.builder().backend(...)}. The same as
   * {@code builder().checkMappedLibraries(true).build()}.
   */
  public static LinuxPeerBackend checkingMappedLibraries() {
    return builder().checkMappedLibraries(true).build();
  }

  /** Options for a backend made by hand, to give to {@code PeerVerifier.builder().backend(...)}. */
  public static Builder builder() {
    return new Builder();
  }

  private LinuxPeerBackend(Builder b) {
    this.checkMappedLibraries = b.checkMappedLibraries;
    Throwable cause = b.libc != null ? null : probe();
    ServerNamespaces own = null;
    if (cause == null) {
      try {
        own = ServerNamespaces.ofThisProcess();
      } catch (IOException | RuntimeException e) {
        // no peer could be placed relative to the server's namespaces: identify none
        cause = new UnsupportedOperationException("cannot read this process's own namespaces in /proc/self: " + e, e);
      }
    }
    this.namespaces = own;
    this.unavailable = cause;
    this.libc = b.libc != null ? b.libc : cause == null ? new JnaLinuxLibc() : null;
    this.proc = ProcFs.system(libc);
    this.users = NameDatabase.users();
    this.groups = NameDatabase.groups();
    // a peer's mapped libraries change whenever it loads one: that check is never reused
    this.recent = b.checkMappedLibraries || b.reuseProcessFactsFor.isZero() || libc == null ? null
        : new RecentProcesses(b.reuseProcessFactsFor.toNanos(), RECENT_PROCESSES, libc::close);
    if (recent != null) {
      // a backend made per connection and never closed must not keep its descriptors for good
      Cleanup.CLEANER.register(this, recent::clear);
    }
  }

  /** For tests: a given native layer on this system's /proc, every peer read in full. */
  LinuxPeerBackend(LinuxLibc libc) {
    this(libc, false);
  }

  /** For tests: a given native layer, and whether to check mapped libraries; every peer read in full. */
  LinuxPeerBackend(LinuxLibc libc, boolean checkMappedLibraries) {
    this(builder().libc(libc).checkMappedLibraries(checkMappedLibraries).reuseProcessFactsFor(Duration.ZERO));
  }

  /**
   * Forgets the processes it knows and closes the {@code /proc/<pid>} descriptors it held for them
   * (at most {@value #RECENT_PROCESSES}). The backend stays usable. {@code PeerVerifier.close()}
   * calls it for a backend the verifier loaded itself.
   */
  @Override
  public void close() {
    if (recent != null) {
      recent.clear();
    }
  }

  /** How many processes it knows now (for tests and metrics). */
  int recentProcesses() {
    return recent == null ? 0 : recent.size();
  }

  /** Options of a {@link LinuxPeerBackend}. */
  public static final class Builder {
    private boolean checkMappedLibraries;
    private Duration reuseProcessFactsFor = DEFAULT_REUSE;
    private LinuxLibc libc;

    private Builder() {}

    /** Also check each peer's mapped libraries (see {@link #checkingMappedLibraries()}). Default: no. */
    public Builder checkMappedLibraries(boolean check) {
      this.checkMappedLibraries = check;
      return this;
    }

    /**
     * How long what a full read of a peer process found may serve its next connections. Default
     * {@value LinuxPeerBackend#DEFAULT_REUSE_MILLIS} ms; at most {@value LinuxPeerBackend#MAX_REUSE_SECONDS} s; {@link Duration#ZERO}
     * reads every connection's peer in full.
     *
     * <p>A full read (≈ 15 µs and a dozen system calls) looks at the running file, the tracer of
     * every thread and the environment. A connection from a process read less than this long ago
     * costs five system calls instead: the process is recognised by its pidfd (never by its pid,
     * which can be reused), and the identity of the file it runs is checked again, so an exec of
     * another program or a change to the file is seen at once. What is not re-read until the time
     * is up: whether a debugger has been attached since (one attached later can in any case drive
     * the connections the process already has), the environment (an exec of the same file with
     * another {@code LD_PRELOAD}), and the supplementary groups of a process whose uid and gid are
     * unchanged.
     */
    public Builder reuseProcessFactsFor(Duration maxAge) {
      Objects.requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative() || maxAge.compareTo(Duration.ofSeconds(MAX_REUSE_SECONDS)) > 0) {
        throw new IllegalArgumentException("reuseProcessFactsFor must be between 0 and " + MAX_REUSE_SECONDS
            + " s (longer would let a debugger attached later go unseen that long), got " + maxAge);
      }
      this.reuseProcessFactsFor = maxAge;
      return this;
    }

    /** For tests: another native layer. */
    Builder libc(LinuxLibc libc) {
      this.libc = Objects.requireNonNull(libc, "libc");
      return this;
    }

    public LinuxPeerBackend build() {
      return new LinuxPeerBackend(this);
    }
  }

  private static Throwable probe() {
    if (Boolean.getBoolean(DISABLE_PROPERTY)) {
      return new UnsupportedOperationException("disabled by -D" + DISABLE_PROPERTY + "=true");
    }
    if (Platform.current() != Platform.LINUX) {
      return new UnsupportedOperationException("not Linux (os.name=" + System.getProperty("os.name") + ")");
    }
    if (!Files.isReadable(Path.of("/proc/self/stat"))) {
      return new UnsupportedOperationException("/proc is not mounted or not readable");
    }
    try {
      JnaLinuxLibc.load();
      return null;
    } catch (LinkageError | RuntimeException e) {
      return new UnsupportedOperationException("cannot load libc through JNA: " + e, e);
    }
  }

  @Override
  public Platform platform() {
    return Platform.LINUX;
  }

  @Override
  public boolean isSupported() {
    return unavailable == null;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(unavailable);
  }

  @Override
  public boolean accepts(PeerHandle handle) {
    return handle instanceof PeerHandle.SocketFd || handle instanceof PeerHandle.ProcessId
        || handle instanceof PeerHandle.ProcessFd || handle instanceof LinuxPeers.JunixsocketHandle;
  }

  @Override
  public PeerProcess attach(PeerHandle handle) throws PeerIdentificationException {
    ensureSupported();
    if (handle instanceof PeerHandle.SocketFd s) {
      return attachSocket(s.fd(), false);
    }
    if (handle instanceof LinuxPeers.JunixsocketHandle j) {
      return attachSocket(j.fd(), false);
    }
    if (handle instanceof PeerHandle.ProcessId p) {
      return attachPid(p.pid());
    }
    if (handle instanceof PeerHandle.ProcessFd p) {
      return attachPidfd(p.fd());
    }
    throw new PeerIdentificationException("the linux backend does not accept a "
        + (handle == null ? "null handle" : handle.getClass().getName()));
  }

  /**
   * A socket's peer that this backend read in full less than the reuse time ago and that still
   * runs the same file: five system calls. Empty for any other peer (and for a bare pid), which
   * {@link #attach} then reads in full.
   */
  @Override
  public Optional<PeerProcess> attachIfKnown(PeerHandle handle) throws PeerIdentificationException {
    ensureSupported();
    if (recent == null || noPeerPidfd) {
      return Optional.empty();
    }
    if (handle instanceof PeerHandle.SocketFd s) {
      return Optional.ofNullable(attachSocket(s.fd(), true));
    }
    if (handle instanceof LinuxPeers.JunixsocketHandle j) {
      return Optional.ofNullable(attachSocket(j.fd(), true));
    }
    return Optional.empty();
  }

  /** With {@code onlyIfKnown}: null (and nothing left open) unless the peer is a known process. */
  private PeerProcess attachSocket(int fd, boolean onlyIfKnown) throws PeerIdentificationException {
    LinuxLibc.PeerCredentials cred;
    try {
      cred = libc.peerCredentials(fd);
    } catch (LinuxLibc.ErrnoException e) {
      String what = switch (e.errno()) {
        case LinuxLibc.EBADF -> "fd " + fd + " is not an open file descriptor";
        case LinuxLibc.ENOTSOCK -> "fd " + fd + " is not a socket";
        default -> "cannot read the peer credentials of fd " + fd;
      };
      throw new PeerIdentificationException(what + ": " + e.getMessage(), e);
    }
    if (cred.pid() <= 0) {
      throw new PeerIdentificationException("SO_PEERCRED on fd " + fd + " gave pid " + cred.pid()
          + ": the peer runs in a PID namespace this process cannot see (a container?), or fd " + fd
          + " is not a connected Unix-domain socket; its process cannot be identified from here");
    }
    long pid = cred.pid();
    int pidfd = -1;
    long startTime = -1;
    if (noPeerPidfd) {
      startTime = startTime(pid);
    } else {
      try {
        pidfd = libc.peerPidfd(fd);
      } catch (LinuxLibc.ErrnoException e) {
        if (e.errno() == LinuxLibc.ESRCH) {
          throw new PeerIdentificationException("process " + pid + " exited", e);
        }
        if (e.errno() != LinuxLibc.ENOPROTOOPT && e.errno() != LinuxLibc.EINVAL) {
          throw new PeerIdentificationException("cannot pin process " + pid + ": " + e.getMessage(), e);
        }
        // kernel before 6.5: pin by start time instead (a read of /proc: not a known process's cost)
        noPeerPidfd = e.errno() == LinuxLibc.ENOPROTOOPT;
        if (onlyIfKnown) {
          return null;
        }
        startTime = startTime(pid);
      }
    }
    long processInode = recent == null || pidfd < 0 ? -1 : processInode(pidfd);
    if (onlyIfKnown && processInode < 0) {
      closePidfd(pidfd);
      return null;
    }
    if (processInode < 0) {
      return LinuxPeerProcess.read(libc, proc, environment(), pid, pidfd, startTime, credentials(fd, cred), false,
          users, groups);
    }
    long now = System.nanoTime();
    RecentProcesses.Known known = recent.acquire(processInode, pid, now);
    if (known != null) {
      try {
        // supplementary groups change only through setgroups, which needs privilege and comes with
        // new ids when a process drops it: with the same uid and gid, the groups read before hold
        LinuxPeerProcess.Credentials c = known.credentials.uid() == cred.uid() && known.credentials.gid() == cred.gid()
            ? known.credentials : credentials(fd, cred);
        LinuxPeerProcess p = LinuxPeerProcess.readKnown(libc, proc, environment(), pidfd, known, c, users, groups);
        if (p != null) {
          return p;
        }
      } finally {
        known.release();
      }
    }
    if (onlyIfKnown) {
      closePidfd(pidfd);
      return null;
    }
    LinuxPeerProcess.Credentials c = credentials(fd, cred);
    LinuxPeerProcess p = LinuxPeerProcess.read(libc, proc, environment(), pid, pidfd, startTime, c, false,
        users, groups);
    remember(processInode, p, c, now);
    return p;
  }

  private void closePidfd(int pidfd) {
    if (pidfd >= 0) {
      libc.close(pidfd);
    }
  }

  private LinuxPeerProcess.Credentials credentials(int fd, LinuxLibc.PeerCredentials cred) {
    List<Long> gids = List.of();
    if (!noPeerGroups) {
      try {
        gids = toList(libc.peerGroups(fd));
      } catch (LinuxLibc.ErrnoException e) {
        // kernel before 4.13: supplementary groups stay unknown (empty), as ProcessInfo documents
        noPeerGroups = e.errno() == LinuxLibc.ENOPROTOOPT;
      }
    }
    return new LinuxPeerProcess.Credentials(cred.uid(), cred.gid(), gids);
  }

  private void remember(long processInode, LinuxPeerProcess p, LinuxPeerProcess.Credentials credentials,
      long readAtNanos) {
    int dir;
    try {
      dir = p.openProcessDirectory();
    } catch (IOException | PeerIdentificationException e) {
      return; // it exited, or its directory cannot be opened: nothing to remember
    }
    recent.remember(processInode, p.process().pid(), p.executable(), p.risks(), credentials, readAtNanos, dir);
  }

  /** The pidfs inode that names the process for the whole boot; -1 where pidfds are not on pidfs. */
  private long processInode(int pidfd) {
    if (pidfdsOnPidfs == 0) {
      try {
        pidfdsOnPidfs = libc.filesystemType(pidfd) == LinuxLibc.PIDFS_SUPER_MAGIC ? 1 : -1;
      } catch (LinuxLibc.ErrnoException e) {
        pidfdsOnPidfs = -1;
      }
    }
    if (pidfdsOnPidfs < 0) {
      return -1;
    }
    try {
      return libc.inode(pidfd);
    } catch (LinuxLibc.ErrnoException e) {
      return -1;
    }
  }

  private PeerProcess attachPid(long pid) throws PeerIdentificationException {
    int pidfd = -1;
    long startTime = -1;
    try {
      pidfd = libc.pidfdOpen(pid);
    } catch (LinuxLibc.ErrnoException e) {
      if (e.errno() == LinuxLibc.ESRCH) {
        throw new PeerIdentificationException("no process " + pid, e);
      }
      if (e.errno() != LinuxLibc.ENOSYS) {
        throw new PeerIdentificationException("cannot pin process " + pid + ": " + e.getMessage(), e);
      }
      startTime = startTime(pid); // kernel before 5.3
    }
    return LinuxPeerProcess.read(libc, proc, environment(), pid, pidfd, startTime, null, true, users, groups);
  }

  /** The same full read as a socket's peer, pinned by a duplicate of the caller's pidfd. */
  private PeerProcess attachPidfd(int fd) throws PeerIdentificationException {
    Pidfds.Pinned pinned = Pidfds.pin(libc, fd);
    return LinuxPeerProcess.read(libc, proc, environment(), pinned.pid(), pinned.pidfd(), -1, null, false,
        users, groups);
  }

  private long startTime(long pid) throws PeerIdentificationException {
    try {
      return proc.startTime(pid);
    } catch (IOException e) {
      throw LinuxPeerProcess.readFailure(pid, e);
    }
  }

  private static List<Long> toList(long[] values) {
    Long[] boxed = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return List.of(boxed);
  }

  private LinuxPeerProcess.Environment environment() {
    LinuxPeerProcess.Environment e = environment;
    if (e == null) {
      e = new LinuxPeerProcess.Environment(findImaVerifier(), KnownInterpreters.system(),
          checkMappedLibraries ? Optional.of(new MappedLibraries()) : Optional.empty(),
          checkMappedLibraries ? Optional.of(new ModifiedCode()) : Optional.empty(), namespaces);
      environment = e;
    }
    return e;
  }

  /** The IMA verifier, found like every verifier: through {@link ServiceLoader}. */
  private static Optional<ExecutableVerifier> findImaVerifier() {
    for (ExecutableVerifier v : ServiceLoader.load(ExecutableVerifier.class, LinuxPeerBackend.class.getClassLoader())) {
      if (v.format() == SignatureFormat.IMA) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }
}
