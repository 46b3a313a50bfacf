package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.Platform;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.windows.authenticode.AuthenticodeVerifier;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Identifies peers of named pipes and AF_UNIX sockets on Windows. Found by {@link java.util.ServiceLoader}
 * (with the pure-Java Authenticode verifier); {@link #withWinTrust} uses Windows' own WinVerifyTrust
 * instead. Loads on every OS and reports itself unsupported off Windows, with the cause.
 */
public final class WindowsPeerBackend implements PeerBackend {
  private final Supplier<NativeLibraries> natives;
  private final Supplier<ExecutableVerifier> verifier;

  /** The ServiceLoader constructor: pure-Java Authenticode verification against the caller's trust store. */
  public WindowsPeerBackend() {
    this(NativeLibraries::load, AuthenticodeVerifier::new);
  }

  WindowsPeerBackend(Supplier<NativeLibraries> natives, Supplier<ExecutableVerifier> verifier) {
    this.natives = natives;
    this.verifier = verifier;
  }

  /**
   * Verifies executables with WinVerifyTrust (Windows' trust store; the embedded signature, else the
   * system catalog that lists the file) and the given revocation mode.
   */
  public static WindowsPeerBackend withWinTrust(WinTrustVerifier.Revocation revocation) {
    return new WindowsPeerBackend(NativeLibraries::load, () -> WinTrustVerifier.create(revocation));
  }

  @Override
  public Platform platform() {
    return Platform.WINDOWS;
  }

  @Override
  public boolean isSupported() {
    return unavailabilityCause().isEmpty();
  }

  @Override
  public Optional<Throwable> unavailabilityCause() {
    try {
      natives.get();
      return Optional.empty();
    } catch (UnsupportedOperationException e) {
      return Optional.of(e);
    }
  }

  @Override
  public boolean accepts(PeerHandle handle) {
    return handle instanceof WindowsPeerHandle || handle instanceof PeerHandle.ProcessId;
  }

  @Override
  public PeerProcess attach(PeerHandle handle) throws PeerIdentificationException {
    NativeLibraries libs;
    try {
      libs = natives.get();
    } catch (UnsupportedOperationException e) {
      throw new PeerIdentificationException("the Windows backend is not supported here: " + e.getMessage(), e);
    }
    ProcessPinner pinner = new ProcessPinner(libs.kernel32(), verifier.get());
    if (handle instanceof WindowsPeerHandle.NamedPipe pipe) {
      return pinner.pin(pipeClientPid(libs.kernel32(), pipe.pipeHandle()), false);
    }
    if (handle instanceof WindowsPeerHandle.AfUnixSocket socket) {
      return pinner.pin(afUnixPeerPid(libs.ws2(), socket.socket()), false);
    }
    if (handle instanceof WindowsPeerHandle.ConnectionPid connection) {
      return pinner.pin(connection.pid(), false);
    }
    if (handle instanceof PeerHandle.ProcessId processId) {
      return pinner.pin(processId.pid(), true);
    }
    throw new PeerIdentificationException("the Windows backend cannot identify a peer by "
        + handle.getClass().getSimpleName());
  }

  static long pipeClientPid(Kernel32Library kernel32, long pipeHandle) throws PeerIdentificationException {
    WinDef.ULONGByReference pid = new WinDef.ULONGByReference();
    if (!kernel32.GetNamedPipeClientProcessId(new WinNT.HANDLE(Pointer.createConstant(pipeHandle)), pid)) {
      throw new PeerIdentificationException("GetNamedPipeClientProcessId failed (error " + kernel32.lastError()
          + "): no client is connected");
    }
    return pid.getValue().longValue();
  }

  static long afUnixPeerPid(Ws2Library ws2, long socket) throws PeerIdentificationException {
    IntByReference pid = new IntByReference();
    IntByReference returned = new IntByReference();
    int rc = ws2.WSAIoctl(Pointer.createConstant(socket), Ws2Library.SIO_AF_UNIX_GETPEERPID, null, 0, pid, 4, returned,
        null, null);
    if (rc != 0) {
      throw new PeerIdentificationException("WSAIoctl(SIO_AF_UNIX_GETPEERPID) failed (WSA error "
          + ws2.WSAGetLastError() + "): not a connected AF_UNIX socket, or Windows older than 10 1803");
    }
    if (returned.getValue() != 4) {
      throw new PeerIdentificationException("SIO_AF_UNIX_GETPEERPID returned " + returned.getValue()
          + " bytes, expected 4");
    }
    return Integer.toUnsignedLong(pid.getValue());
  }
}
