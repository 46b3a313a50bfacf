package dev.peerid.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** {@link LinuxLibc} through JNA direct mapping (no reflection per call, no per-call allocation of proxies). */
final class JnaLinuxLibc implements LinuxLibc {
  private static final int SOL_SOCKET = 1;
  private static final int SO_PEERCRED = 17;
  private static final int SO_PEERGROUPS = 59;
  private static final int SO_PEERPIDFD = 77;
  private static final int POLLIN = 0x1;
  private static final long SYS_PIDFD_OPEN = 434; // same number on every architecture (unified table)
  private static final int MAX_GROUPS = 65536; // NGROUPS_MAX

  /** The direct-mapped functions, in their own class so their names do not clash with ours. */
  private static final class C {
    static {
      Native.register(C.class, com.sun.jna.Platform.C_LIBRARY_NAME);
    }

    static native int getsockopt(int fd, int level, int name, byte[] value, int[] length) throws LastErrorException;

    // syscall(2) is variadic; integer arguments are passed the same way on the Linux ABIs we run on
    static native long syscall(long number, long a1, long a2) throws LastErrorException;

    static native int poll(byte[] fds, long nfds, int timeout) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;
  }

  /** Forces the native library to load; throws the linkage error when it cannot. */
  static void load() {
    try {
      C.close(-1); // initialises C (registering the natives); close(-1) only fails with EBADF
    } catch (LastErrorException expected) {
      // EBADF, as intended
    }
  }

  @Override
  public PeerCredentials peerCredentials(int socketFd) throws ErrnoException {
    byte[] buf = new byte[12];
    int[] len = {buf.length};
    call("getsockopt(SO_PEERCRED)", () -> C.getsockopt(socketFd, SOL_SOCKET, SO_PEERCRED, buf, len));
    if (len[0] != 12) {
      throw new ErrnoException("getsockopt(SO_PEERCRED)", EINVAL, "short ucred of " + len[0] + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    return new PeerCredentials(b.getInt(0), Integer.toUnsignedLong(b.getInt(4)), Integer.toUnsignedLong(b.getInt(8)));
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    byte[] buf = new byte[4];
    int[] len = {buf.length};
    call("getsockopt(SO_PEERPIDFD)", () -> C.getsockopt(socketFd, SOL_SOCKET, SO_PEERPIDFD, buf, len));
    return ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder()).getInt(0);
  }

  @Override
  public long[] peerGroups(int socketFd) throws ErrnoException {
    int capacity = 64;
    while (true) {
      byte[] buf = new byte[capacity * 4];
      int[] len = {buf.length};
      try {
        call("getsockopt(SO_PEERGROUPS)", () -> C.getsockopt(socketFd, SOL_SOCKET, SO_PEERGROUPS, buf, len));
      } catch (ErrnoException e) {
        // ERANGE: the kernel wrote the size it needs into len
        if (e.errno() == ERANGE && len[0] > buf.length && len[0] / 4 <= MAX_GROUPS) {
          capacity = len[0] / 4;
          continue;
        }
        throw e;
      }
      ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
      long[] out = new long[Math.min(len[0], buf.length) / 4];
      for (int i = 0; i < out.length; i++) {
        out[i] = Integer.toUnsignedLong(b.getInt(i * 4));
      }
      return out;
    }
  }

  @Override
  public int pidfdOpen(long pid) throws ErrnoException {
    long[] fd = new long[1];
    call("pidfd_open(" + pid + ")", () -> fd[0] = C.syscall(SYS_PIDFD_OPEN, pid, 0));
    return (int) fd[0];
  }

  @Override
  public boolean hasExited(int pidfd) throws ErrnoException {
    // struct pollfd { int fd; short events; short revents; }
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    b.putInt(0, pidfd).putShort(4, (short) POLLIN);
    byte[] fds = b.array();
    int[] ready = new int[1];
    call("poll(pidfd)", () -> ready[0] = C.poll(fds, 1, 0));
    short revents = ByteBuffer.wrap(fds).order(ByteOrder.nativeOrder()).getShort(6);
    if ((revents & 0x20) != 0) { // POLLNVAL: not an open descriptor
      throw new ErrnoException("poll(pidfd)", EBADF, "pidfd " + pidfd + " is not open");
    }
    return ready[0] > 0 && revents != 0;
  }

  @Override
  public void close(int fd) {
    try {
      C.close(fd);
    } catch (LastErrorException e) {
      // nothing useful to do: the descriptor is released either way (close(2) never retries)
    }
  }

  private interface NativeCall {
    void run() throws LastErrorException;
  }

  private static void call(String what, NativeCall c) throws ErrnoException {
    try {
      c.run();
    } catch (LastErrorException e) {
      throw new ErrnoException(what, e.getErrorCode(), strip(e.getMessage()));
    }
  }

  // LastErrorException's message is "[errno] text"
  private static String strip(String message) {
    if (message == null) {
      return "";
    }
    int close = message.indexOf(']');
    return (message.startsWith("[") && close > 0 ? message.substring(close + 1) : message).trim();
  }
}
