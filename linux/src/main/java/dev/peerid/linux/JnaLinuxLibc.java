package dev.peerid.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import dev.peerid.FileIdentity;
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
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000; // the generic value (x86, arm, riscv, ...)
  private static final int AT_FDCWD = -100;
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int STATX_SIZE_OF = 256;
  /** The statx fields FileIdentity needs (stx_ino, stx_size, stx_mtime, stx_ctime). */
  private static final int STATX_NEEDED = 0x100 | 0x200 | 0x40 | 0x80;
  private static final ThreadLocal<byte[]> STATX_BUFFER = ThreadLocal.withInitial(() -> new byte[STATX_SIZE_OF]);
  private static volatile boolean statxMissing;

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

    // open(2) is variadic; without O_CREAT the mode is never read, so two arguments suffice
    static native int open(byte[] path, int flags) throws LastErrorException;

    // ssize_t and size_t as long: the backend runs on 64-bit Linux only (as syscall above)
    static native long read(int fd, byte[] buf, long count) throws LastErrorException;

    static native long readlink(byte[] path, byte[] buf, long size) throws LastErrorException;
  }

  /**
   * statx(2) in its own class: the glibc wrapper exists since 2.28 only, and a missing symbol
   * must cost the callers their fast path (they fall back to the JDK), not the whole backend.
   */
  private static final class X {
    static {
      Native.register(X.class, com.sun.jna.Platform.C_LIBRARY_NAME);
    }

    static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] buf) throws LastErrorException;
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

  @Override
  public int openReadOnly(byte[] path) throws ErrnoException {
    try {
      return C.open(path, O_RDONLY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw errno("open", e);
    }
  }

  @Override
  public int read(int fd, byte[] buf, int length) throws ErrnoException {
    if (length < 0 || length > buf.length) {
      throw new IllegalArgumentException("length " + length + " outside a buffer of " + buf.length);
    }
    while (true) {
      try {
        return (int) C.read(fd, buf, length);
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EINTR) {
          throw errno("read", e);
        }
      }
    }
  }

  @Override
  public int readlink(byte[] path, byte[] buf) throws ErrnoException {
    try {
      return (int) C.readlink(path, buf, buf.length);
    } catch (LastErrorException e) {
      throw errno("readlink", e);
    }
  }

  @Override
  public FileIdentity stat(byte[] path) throws ErrnoException {
    if (statxMissing) {
      throw new ErrnoException("statx", ENOSYS, "no statx in this C library");
    }
    // struct statx is the same on every architecture, so offsets are fixed (linux/stat.h)
    byte[] buf = STATX_BUFFER.get();
    try {
      X.statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, buf);
    } catch (LastErrorException e) {
      throw errno("statx", e);
    } catch (LinkageError e) {
      statxMissing = true;
      throw new ErrnoException("statx", ENOSYS, "no statx in this C library: " + e.getMessage());
    }
    ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    int mask = b.getInt(0);
    if ((mask & STATX_NEEDED) != STATX_NEEDED) {
      throw new ErrnoException("statx", ENOSYS, "statx did not report the basic fields (mask 0x"
          + Integer.toHexString(mask) + ")");
    }
    long ino = b.getLong(32);
    long size = b.getLong(40);
    long ctime = nanos(b.getLong(96), Integer.toUnsignedLong(b.getInt(104)));
    long mtime = nanos(b.getLong(112), Integer.toUnsignedLong(b.getInt(120)));
    long dev = makedev(Integer.toUnsignedLong(b.getInt(136)), Integer.toUnsignedLong(b.getInt(140)));
    return new FileIdentity(dev, ino, size, mtime, ctime);
  }

  /** glibc's gnu_dev_makedev: what stat() reports as st_dev, and so what the JDK's unix:dev is. */
  static long makedev(long major, long minor) {
    return ((major & 0x00000fffL) << 8) | ((major & 0xfffff000L) << 32)
        | (minor & 0x000000ffL) | ((minor & 0xffffff00L) << 12);
  }

  /** Nanoseconds since the epoch as {@code FileTime.to(NANOSECONDS)} gives them (saturating). */
  static long nanos(long seconds, long nanos) {
    try {
      return Math.addExact(Math.multiplyExact(seconds, 1_000_000_000L), nanos);
    } catch (ArithmeticException e) {
      return seconds < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static ErrnoException errno(String what, LastErrorException e) {
    return new ErrnoException(what, e.getErrorCode(), strip(e.getMessage()));
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
