package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.util.Objects;

/**
 * Creates the server ends of a local named pipe: remote (SMB) clients are rejected
 * (PIPE_REJECT_REMOTE_CLIENTS), the first instance is ours alone (FILE_FLAG_FIRST_PIPE_INSTANCE,
 * so another process cannot squat the name first), and every instance carries the security
 * descriptor the caller chose, as SDDL.
 *
 * <pre>{@code
 * try (NamedPipeServer server = NamedPipeServer.create("\\\\.\\pipe\\myapp", NamedPipeServer.CURRENT_USER_ONLY)) {
 *   NamedPipeServer.Connection c = server.accept();
 *   PeerProcess peer = backend.attach(c.peerHandle());
 * }
 * }</pre>
 */
public final class NamedPipeServer implements AutoCloseable {
  /** SYSTEM and the pipe's owner (the server's user) only. */
  public static final String CURRENT_USER_ONLY = "D:P(A;;GA;;;SY)(A;;GA;;;OW)";
  /** SYSTEM, administrators, and interactive users (read/write): a service talking to desktop clients. */
  public static final String INTERACTIVE_USERS = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;IU)";

  private static final int BUFFER = 64 * 1024;
  private static final int UNLIMITED_INSTANCES = 255;

  private final Kernel32Library kernel32;
  private final Advapi32Library advapi32;
  private final String name;
  private final String sddl;
  private boolean first = true;

  NamedPipeServer(Kernel32Library kernel32, Advapi32Library advapi32, String name, String sddl) {
    this.kernel32 = kernel32;
    this.advapi32 = advapi32;
    this.name = name;
    this.sddl = sddl;
  }

  /** @param name {@code \\.\pipe\...}; @param sddl the security descriptor for every instance */
  public static NamedPipeServer create(String name, String sddl) {
    NativeLibraries libs = NativeLibraries.load();
    return create(libs.kernel32(), libs.advapi32(), name, sddl);
  }

  static NamedPipeServer create(Kernel32Library kernel32, Advapi32Library advapi32, String name, String sddl) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sddl, "sddl: choose who may connect (e.g. CURRENT_USER_ONLY)");
    if (!name.startsWith("\\\\.\\pipe\\") || name.length() == 9) {
      throw new IllegalArgumentException("a local pipe name starts with \\\\.\\pipe\\: " + name);
    }
    return new NamedPipeServer(kernel32, advapi32, name, sddl);
  }

  /** Creates one pipe instance and waits for a client. */
  public synchronized Connection accept() throws IOException {
    PointerByReference descriptor = new PointerByReference();
    if (!advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(new WString(sddl),
        Advapi32Library.SDDL_REVISION_1, descriptor, new IntByReference())) {
      throw new IOException("invalid SDDL '" + sddl + "' (error " + kernel32.lastError() + ")");
    }
    WinNT.HANDLE pipe;
    try {
      WinBase.SECURITY_ATTRIBUTES sa = new WinBase.SECURITY_ATTRIBUTES();
      sa.lpSecurityDescriptor = descriptor.getValue();
      sa.bInheritHandle = false;
      int openMode = Kernel32Library.PIPE_ACCESS_DUPLEX | (first ? Kernel32Library.FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
      int pipeMode = Kernel32Library.PIPE_TYPE_BYTE | Kernel32Library.PIPE_READMODE_BYTE | Kernel32Library.PIPE_WAIT
          | Kernel32Library.PIPE_REJECT_REMOTE_CLIENTS;
      pipe = kernel32.CreateNamedPipeW(name, openMode, pipeMode, UNLIMITED_INSTANCES, BUFFER, BUFFER, 0, sa);
      if (pipe == null || WinBase.INVALID_HANDLE_VALUE.equals(pipe)) {
        throw new IOException("CreateNamedPipeW(" + name + ") failed (error " + kernel32.lastError() + ")"
            + (first ? ": another process may own this pipe name" : ""));
      }
    } finally {
      kernel32.LocalFree(descriptor.getValue());
    }
    first = false;
    if (!kernel32.ConnectNamedPipe(pipe, null)) {
      int error = kernel32.lastError();
      if (error != Kernel32Library.ERROR_PIPE_CONNECTED) {
        kernel32.CloseHandle(pipe);
        throw new IOException("ConnectNamedPipe failed (error " + error + ")");
      }
    }
    return new Connection(kernel32, pipe);
  }

  @Override
  public void close() {
    // Instances belong to their connections; nothing is held between accepts.
  }

  /** One connected pipe instance; closing disconnects the client and closes the handle. */
  public static final class Connection implements AutoCloseable {
    private final Kernel32Library kernel32;
    private final WinNT.HANDLE pipe;
    private boolean closed;

    Connection(Kernel32Library kernel32, WinNT.HANDLE pipe) {
      this.kernel32 = kernel32;
      this.pipe = pipe;
    }

    /** The pipe HANDLE value (owned by this connection). */
    public long handle() {
      return Pointer.nativeValue(pipe.getPointer());
    }

    /** What to pass to {@code PeerBackend.attach}. */
    public WindowsPeerHandle peerHandle() {
      return WindowsPeerHandle.namedPipe(handle());
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        kernel32.DisconnectNamedPipe(pipe);
        kernel32.CloseHandle(pipe);
      }
    }
  }
}
