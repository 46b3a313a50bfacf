package dev.peerid.macos;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import dev.peerid.ExecutableInfo;
import dev.peerid.FileIdentity;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import dev.peerid.Interpreters;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import java.util.List;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The macOS backend: identifies the peer of a connected Unix-domain socket by its audit token and
 * checks its code with Security.framework. A bare pid is accepted for inspection (racy, pinned by
 * start time). Loads on every OS; reports itself unsupported off macOS.
 *
 * <p>A native code requirement (e.g. {@code anchor apple generic and certificate leaf[subject.OU] =
 * "TEAMID"}) may be given; Security.framework then enforces it too, and a peer that fails it is
 * UNTRUSTED with the reason.
 */
public final class MacPeerBackend implements PeerBackend {
  private final Natives natives;
  private final Throwable unavailable;
  private final String requirement;

  /** The ServiceLoader constructor: no native requirement. */
  public MacPeerBackend() {
    this(null);
  }

  public MacPeerBackend(String requirement) {
    this.requirement = requirement;
    Natives loaded = null;
    Throwable cause = null;
    if (Platform.current() != Platform.MACOS) {
      cause = new UnsupportedOperationException("not macOS (os.name=" + System.getProperty("os.name") + ")");
    } else {
      try {
        LibC libc = Native.load("c", LibC.class);
        Security security = Native.load("Security", Security.class);
        // JNA binds a function at its first call: a symbol missing from an older macOS would
        // surface as an UnsatisfiedLinkError in the middle of attach, so look for all of them now
        Optional<String> missing = missingFunction(NativeLibrary.getInstance("c"), LibC.class)
            .or(() -> missingFunction(NativeLibrary.getInstance("Security"), Security.class));
        if (missing.isPresent()) {
          cause = new UnsupportedOperationException("this macOS has no " + missing.get()
              + " (the backend needs macOS 11 or later)");
        } else {
          loaded = new Natives(libc, security, new JnaCoreFoundation());
        }
      } catch (LinkageError | RuntimeException e) {
        cause = e;
      }
    }
    this.natives = loaded;
    this.unavailable = cause;
  }

  /** The first function (by name) that {@code mapping} declares and {@code library} does not export. */
  static Optional<String> missingFunction(NativeLibrary library, Class<?> mapping) {
    List<String> names = new java.util.ArrayList<>();
    for (java.lang.reflect.Method m : mapping.getDeclaredMethods()) {
      names.add(m.getName());
    }
    java.util.Collections.sort(names);
    for (String name : names) {
      try {
        library.getFunction(name);
      } catch (UnsatisfiedLinkError e) {
        return Optional.of(name);
      }
    }
    return Optional.empty();
  }

  /** For tests: the given native boundaries, as if on macOS. */
  MacPeerBackend(LibC libc, Security security, CoreFoundationApi cf, String requirement) {
    this.natives = new Natives(libc, security, cf);
    this.unavailable = null;
    this.requirement = requirement;
  }

  @Override
  public Platform platform() {
    return Platform.MACOS;
  }

  @Override
  public boolean isSupported() {
    return natives != null;
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(unavailable);
  }

  @Override
  public boolean accepts(PeerHandle handle) {
    return handle instanceof PeerHandle.SocketFd || handle instanceof PeerHandle.ProcessId;
  }

  @Override
  public PeerProcess attach(PeerHandle handle) throws PeerIdentificationException {
    if (!isSupported()) {
      throw new PeerIdentificationException("the macOS backend is not supported here", unavailable);
    }
    if (handle instanceof PeerHandle.ProcessId processId) {
      return attachPid(processId.pid());
    }
    if (!(handle instanceof PeerHandle.SocketFd socketFd)) {
      throw new PeerIdentificationException("the macOS backend needs a connected socket or a pid, got " + handle);
    }
    PeerSocket socket = new PeerSocket(natives.libc, socketFd.fd());
    AuditToken token = socket.token();
    long[] credentials = socket.credentials();
    int pid = socket.pid();
    if (token.pid() <= 0) {
      throw new PeerIdentificationException("the peer's audit token has no pid");
    }
    if (pid != token.pid()) {
      throw new PeerIdentificationException("LOCAL_PEERPID " + pid + " differs from the audit token's pid "
          + token.pid() + ": the peer changed while it was read");
    }
    if (credentials[0] != token.euid()) {
      throw new PeerIdentificationException("LOCAL_PEERCRED uid " + credentials[0] + " differs from the audit token's euid "
          + token.euid());
    }
    ProcessInfo process = new ProcessInfo(token.pid(), token.euid(), token.egid(), PeerSocket.groups(credentials),
        Optional.empty(), Optional.empty(), token.raceToken(), false);
    String path = executablePath("proc_pidpath_audittoken(pid " + token.pid() + ")",
        buffer -> natives.libc.proc_pidpath_audittoken(token.bytes(), buffer, buffer.length));
    // CS_DEBUGGED: a debugger attached (or once attached) and may have changed the code in memory
    CodeGuest guest = CodeGuest.byToken(token);
    boolean traced = (guest.csStatus(natives.libc) & SecCodeCheck.CS_DEBUGGED) != 0;
    AuditToken again = socket.token();
    if (!again.sameProcess(token)) {
      throw new PeerIdentificationException("the peer changed while it was identified (pidversion "
          + token.pidVersion() + " became " + again.pidVersion() + ")");
    }
    MacPeerProcess.Pin pin = () -> {
      AuditToken now = socket.token();
      if (!now.sameProcess(token)) {
        throw new PeerIdentificationException("the peer changed during the check: pid " + token.pid() + " pidversion "
            + token.pidVersion() + " became pid " + now.pid() + " pidversion " + now.pidVersion()
            + " (an exec after connect, or the socket handed to another process)");
      }
    };
    return new MacPeerProcess(process, new ExecutableInfo(path, fileIdentity(path, "pid=" + token.pid() + ","
        + token.raceToken())), new SecCodeCheck(natives.libc, natives.security, natives.cf), guest, requirement,
        new RiskFacts(Interpreters.byPath(path), traced, ProcessInfo.UNKNOWN, List.of()), pin);
  }

  /**
   * A bare pid, for inspection: the identity is marked racy (the pid may be reused between the
   * caller's lookup and ours) and pinned by the process start time from {@code proc_pidinfo}.
   */
  private PeerProcess attachPid(long pidValue) throws PeerIdentificationException {
    if (pidValue > Integer.MAX_VALUE) {
      throw new PeerIdentificationException("pid " + pidValue + " is out of range");
    }
    int pid = (int) pidValue;
    ProcBsdInfo before = bsdInfo(pid);
    String path = executablePath("proc_pidpath(" + pid + ")",
        buffer -> natives.libc.proc_pidpath(pid, buffer, buffer.length));
    CodeGuest guest = CodeGuest.byPid(pid);
    boolean traced = (guest.csStatus(natives.libc) & SecCodeCheck.CS_DEBUGGED) != 0;
    MacPeerProcess.Pin pin = () -> {
      ProcBsdInfo now = bsdInfo(pid);
      if (!now.startTime().equals(before.startTime())) {
        throw new PeerIdentificationException("pid " + pid + " now names another process (started "
            + now.startTime() + ", not " + before.startTime() + ")");
      }
    };
    pin.confirm();
    String raceToken = "starttime:" + before.startTime();
    ProcessInfo process = new ProcessInfo(pid, before.uid(), before.gid(), List.of(), Optional.empty(),
        Optional.empty(), raceToken, true);
    return new MacPeerProcess(process, new ExecutableInfo(path, fileIdentity(path, "pid=" + pid + "," + raceToken)),
        new SecCodeCheck(natives.libc, natives.security, natives.cf), guest, requirement,
        new RiskFacts(Interpreters.byPath(path), traced, ProcessInfo.UNKNOWN, List.of()), pin);
  }

  private ProcBsdInfo bsdInfo(int pid) throws PeerIdentificationException {
    byte[] buffer = new byte[LibC.PROC_BSDINFO_SIZE];
    int n;
    try {
      n = natives.libc.proc_pidinfo(pid, LibC.PROC_PIDTBSDINFO, 0, buffer, buffer.length);
    } catch (LastErrorException e) {
      throw new PeerIdentificationException("proc_pidinfo(" + pid + ") failed (errno " + e.getErrorCode()
          + "): no such process, or not ours to inspect", e);
    }
    ProcBsdInfo info;
    try {
      info = ProcBsdInfo.parse(buffer, n);
    } catch (PeerIdentificationException e) {
      throw new PeerIdentificationException("proc_pidinfo(" + pid + ") returned no information for that pid", e);
    }
    if (info.pid() != pid) {
      throw new PeerIdentificationException("proc_pidinfo(" + pid + ") returned no information for that pid");
    }
    return info;
  }

  /** One of the libproc path calls, which fill a buffer and return the path's length (0 on failure). */
  private interface PathCall {
    int fill(byte[] buffer) throws LastErrorException;
  }

  private static String executablePath(String call, PathCall path) throws PeerIdentificationException {
    // PROC_PIDPATHINFO_MAXSIZE is the largest buffer libproc accepts (EOVERFLOW above it)
    byte[] buffer = new byte[LibC.PROC_PIDPATHINFO_MAXSIZE];
    int n;
    try {
      n = path.fill(buffer);
    } catch (LastErrorException e) {
      throw new PeerIdentificationException(call + " failed (errno " + e.getErrorCode() + ")", e);
    }
    if (n <= 0 || n >= buffer.length) {
      throw new PeerIdentificationException(call + " returned no path");
    }
    return new String(buffer, 0, n, StandardCharsets.UTF_8);
  }

  /** The path's identity for the cache; the cdhash from the code check is what names the content. */
  private static FileIdentity fileIdentity(String path, String unknownKey) {
    try {
      return FileIdentity.of(Path.of(path));
    } catch (IOException | RuntimeException e) {
      // unknown identity: key it to this exec of this process so that no other peer shares it
      return new FileIdentity(0, 0, 0, 0, 0, unknownKey);
    }
  }

  private record Natives(LibC libc, Security security, CoreFoundationApi cf) {}
}
