package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import dev.peerid.SignatureFormat;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Identifies the process on the other end of a Unix-domain socket on Linux: {@code SO_PEERCRED}
 * for its ids, {@code SO_PEERPIDFD} (Linux 6.5+) to pin it against pid reuse, with the process
 * start time as the fallback pin, and {@code /proc/<pid>/exe} for the executable it runs.
 *
 * <p>Accepts {@link PeerHandle.SocketFd}, {@link PeerHandle.ProcessId} (racy: for inspection) and
 * the junixsocket handles made by {@link LinuxPeers}. Loads on every OS and reports itself
 * unsupported off Linux; the system property {@value #DISABLE_PROPERTY}{@code =true} disables it.
 */
public final class LinuxPeerBackend implements PeerBackend {
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

  /** The backend {@link ServiceLoader} finds. */
  public LinuxPeerBackend() {
    this(false);
  }

  /**
   * A backend that also reads each peer's {@code /proc/<pid>/maps} and reports, as injected
   * libraries, executable mappings the peer's user could have placed: libraries not owned by root,
   * writable by group or others, in such a directory, deleted or in memfd. That catches a
   * preloaded library that erased {@code LD_PRELOAD} from its environment and a copied client
   * loading a library through {@code $ORIGIN}. It costs a read of {@code maps} per peer (≈ 10–20
   * µs for a small native client), which is why it is not the default. Use it with
   * {@code PeerVerifier.builder().backend(...)}.
   */
  public static LinuxPeerBackend checkingMappedLibraries() {
    return new LinuxPeerBackend(true);
  }

  private LinuxPeerBackend(boolean checkMappedLibraries) {
    this.checkMappedLibraries = checkMappedLibraries;
    Throwable cause = probe();
    this.unavailable = cause;
    this.libc = cause == null ? new JnaLinuxLibc() : null;
    this.proc = ProcFs.system(libc);
    this.users = NameDatabase.users();
    this.groups = NameDatabase.groups();
  }

  /** For tests: a given native layer on this system's /proc. */
  LinuxPeerBackend(LinuxLibc libc) {
    this(libc, false);
  }

  /** For tests: a given native layer, and whether to check mapped libraries. */
  LinuxPeerBackend(LinuxLibc libc, boolean checkMappedLibraries) {
    this.checkMappedLibraries = checkMappedLibraries;
    this.unavailable = null;
    this.libc = libc;
    this.proc = ProcFs.system(libc);
    this.users = NameDatabase.users();
    this.groups = NameDatabase.groups();
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
        || handle instanceof LinuxPeers.JunixsocketHandle;
  }

  @Override
  public PeerProcess attach(PeerHandle handle) throws PeerIdentificationException {
    ensureSupported();
    if (handle instanceof PeerHandle.SocketFd s) {
      return attachSocket(s.fd());
    }
    if (handle instanceof LinuxPeers.JunixsocketHandle j) {
      return attachSocket(j.fd());
    }
    if (handle instanceof PeerHandle.ProcessId p) {
      return attachPid(p.pid());
    }
    throw new PeerIdentificationException("the linux backend does not accept a "
        + (handle == null ? "null handle" : handle.getClass().getName()));
  }

  private PeerProcess attachSocket(int fd) throws PeerIdentificationException {
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
        // kernel before 6.5: pin by start time instead
        noPeerPidfd = e.errno() == LinuxLibc.ENOPROTOOPT;
        startTime = startTime(pid);
      }
    }
    List<Long> gids = List.of();
    if (!noPeerGroups) {
      try {
        gids = toList(libc.peerGroups(fd));
      } catch (LinuxLibc.ErrnoException e) {
        // kernel before 4.13: supplementary groups stay unknown (empty), as ProcessInfo documents
        noPeerGroups = e.errno() == LinuxLibc.ENOPROTOOPT;
      }
    }
    return LinuxPeerProcess.read(libc, proc, environment(), pid, pidfd, startTime,
        new LinuxPeerProcess.Credentials(cred.uid(), cred.gid(), gids), false, users, groups);
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
          checkMappedLibraries ? Optional.of(new MappedLibraries()) : Optional.empty());
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
