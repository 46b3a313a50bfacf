package dev.peerid.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.peerid.FileIdentity;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link LinuxLibc} through JNA direct mapping (no reflection per call, no per-call allocation of
 * proxies). Every pointer argument points into a per-thread block of native memory: JNA passes a
 * Java array by allocating a native copy of the whole array and copying it back after the call,
 * which on this path (about fifteen calls per connection) cost more than the system calls did.
 */
final class JnaLinuxLibc implements LinuxLibc {
  private static final int SOL_SOCKET = 1;
  private static final int SO_PEERCRED = 17;
  private static final int SO_PEERGROUPS = 59;
  private static final int SO_PEERPIDFD = 77;
  private static final int POLLIN = 0x1;
  private static final int F_DUPFD_CLOEXEC = 1030;
  private static final long SYS_PIDFD_OPEN = 434; // same number on every architecture (unified table)
  private static final int MAX_GROUPS = 65536; // NGROUPS_MAX
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000; // the generic values (x86, arm, riscv, ...)
  private static final int O_DIRECTORY = 0x10000;
  private static final int O_PATH = 0x200000;
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int STATX_INO = 0x100;
  private static final int STATX_UID = 0x8;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final byte[] EMPTY_PATH = {0};
  /** The statx fields FileIdentity needs (stx_ino, stx_size, stx_mtime, stx_ctime). */
  private static final int STATX_NEEDED = 0x100 | 0x200 | 0x40 | 0x80;
  private static final int ENAMETOOLONG = 36;
  private static volatile boolean statxMissing;

  /** The direct-mapped functions, in their own class so their names do not clash with ours. */
  private static final class C {
    static {
      Native.register(C.class, com.sun.jna.Platform.C_LIBRARY_NAME);
    }

    // pointers as long: the backend runs on 64-bit Linux only, where a pointer is passed as a long
    static native int getsockopt(int fd, int level, int name, long value, long length) throws LastErrorException;

    // syscall(2) is variadic; integer arguments are passed the same way on the Linux ABIs we run on
    static native long syscall(long number, long a1, long a2) throws LastErrorException;

    static native int poll(long fds, long nfds, int timeout) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    // fcntl(2) is variadic; F_DUPFD_CLOEXEC takes one int
    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    // open(2) is variadic; without O_CREAT the mode is never read, so two arguments suffice
    static native int open(long path, int flags) throws LastErrorException;

    static native long read(int fd, long buf, long count) throws LastErrorException;

    // off_t is 64 bits on the 64-bit ABIs the backend runs on: no pread64 needed
    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    static native int getpagesize();

    static native long readlink(long path, long buf, long size) throws LastErrorException;

    static native long readlinkat(int dirfd, long path, long buf, long size) throws LastErrorException;

    static native int fstatfs(int fd, long buf) throws LastErrorException;
  }

  /**
   * statx(2) in its own class: the glibc wrapper exists since 2.28 only, and a missing symbol
   * must cost the callers their fast path (they fall back to the JDK), not the whole backend.
   */
  private static final class X {
    static {
      Native.register(X.class, com.sun.jna.Platform.C_LIBRARY_NAME);
    }

    static native int statx(int dirfd, long path, int flags, int mask, long buf) throws LastErrorException;
  }

  /**
   * One thread's native memory: data (read buffers, link targets, group lists), a NUL-terminated
   * path, and small structures (ucred, socklen_t, pollfd, struct statx). Calls on one thread never
   * overlap, so one block per thread is enough.
   */
  private static final class Scratch {
    static final int DATA = 0;
    static final int DATA_SIZE = 8192;
    static final int PATH = DATA + DATA_SIZE;
    static final int PATH_SIZE = 4096; // PATH_MAX, with its NUL
    static final int SMALL = PATH + PATH_SIZE;
    static final int LENGTH = SMALL; // socklen_t
    static final int STRUCT = SMALL + 16; // ucred, pollfd or struct statx (256 bytes)
    static final int SIZE = STRUCT + 256;

    final Memory memory = new Memory(SIZE);
    final long address = Pointer.nativeValue(memory);
    final ByteBuffer view = memory.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());

    long path(byte[] nulTerminated) throws ErrnoException {
      int n = nulTerminated.length;
      if (n > PATH_SIZE || n == 0 || nulTerminated[n - 1] != 0) {
        throw new ErrnoException("path", nulTerminated.length > PATH_SIZE ? ENAMETOOLONG : EINVAL,
            "not a NUL-terminated path of at most " + PATH_SIZE + " bytes");
      }
      view.put(PATH, nulTerminated, 0, nulTerminated.length);
      return address + PATH;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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
    Scratch s = SCRATCH.get();
    int len = getsockopt(s, "getsockopt(SO_PEERCRED)", socketFd, SO_PEERCRED, s.address + Scratch.STRUCT, 12);
    if (len != 12) {
      throw new ErrnoException("getsockopt(SO_PEERCRED)", EINVAL, "short ucred of " + len + " bytes");
    }
    ByteBuffer b = s.view;
    return new PeerCredentials(b.getInt(Scratch.STRUCT), Integer.toUnsignedLong(b.getInt(Scratch.STRUCT + 4)),
        Integer.toUnsignedLong(b.getInt(Scratch.STRUCT + 8)));
  }

  @Override
  public int peerPidfd(int socketFd) throws ErrnoException {
    Scratch s = SCRATCH.get();
    getsockopt(s, "getsockopt(SO_PEERPIDFD)", socketFd, SO_PEERPIDFD, s.address + Scratch.STRUCT, 4);
    return s.view.getInt(Scratch.STRUCT);
  }

  @Override
  public long[] peerGroups(int socketFd) throws ErrnoException {
    Scratch s = SCRATCH.get();
    int capacity = Scratch.DATA_SIZE;
    Memory large = null; // only for more groups than the scratch holds
    while (true) {
      long address = large == null ? s.address + Scratch.DATA : Pointer.nativeValue(large);
      int len;
      try {
        len = getsockopt(s, "getsockopt(SO_PEERGROUPS)", socketFd, SO_PEERGROUPS, address, capacity);
      } catch (ErrnoException e) {
        // ERANGE: the kernel wrote the size it needs into the length
        int needed = s.view.getInt(Scratch.LENGTH);
        if (e.errno() == ERANGE && needed > capacity && needed / 4 <= MAX_GROUPS) {
          capacity = needed;
          large = new Memory(capacity);
          continue;
        }
        throw e;
      }
      long[] out = new long[Math.min(len, capacity) / 4];
      for (int i = 0; i < out.length; i++) {
        int g = large == null ? s.view.getInt(Scratch.DATA + i * 4) : large.getInt(i * 4L);
        out[i] = Integer.toUnsignedLong(g);
      }
      return out;
    }
  }

  /** getsockopt into {@code value}; the length the kernel reports. */
  private static int getsockopt(Scratch s, String what, int fd, int name, long value, int capacity)
      throws ErrnoException {
    s.view.putInt(Scratch.LENGTH, capacity);
    try {
      C.getsockopt(fd, SOL_SOCKET, name, value, s.address + Scratch.LENGTH);
    } catch (LastErrorException e) {
      throw errno(what, e);
    }
    return s.view.getInt(Scratch.LENGTH);
  }

  @Override
  public int pidfdOpen(long pid) throws ErrnoException {
    try {
      return (int) C.syscall(SYS_PIDFD_OPEN, pid, 0);
    } catch (LastErrorException e) {
      throw errno("pidfd_open(" + pid + ")", e);
    }
  }

  @Override
  public int dupCloexec(int fd) throws ErrnoException {
    try {
      return C.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw errno("fcntl(" + fd + ", F_DUPFD_CLOEXEC)", e);
    }
  }

  @Override
  public boolean hasExited(int pidfd) throws ErrnoException {
    Scratch s = SCRATCH.get();
    // struct pollfd { int fd; short events; short revents; }
    s.view.putInt(Scratch.STRUCT, pidfd).putShort(Scratch.STRUCT + 4, (short) POLLIN)
        .putShort(Scratch.STRUCT + 6, (short) 0);
    int ready;
    try {
      ready = C.poll(s.address + Scratch.STRUCT, 1, 0);
    } catch (LastErrorException e) {
      throw errno("poll(pidfd)", e);
    }
    short revents = s.view.getShort(Scratch.STRUCT + 6);
    if ((revents & 0x20) != 0) { // POLLNVAL: not an open descriptor
      throw new ErrnoException("poll(pidfd)", EBADF, "pidfd " + pidfd + " is not open");
    }
    return ready > 0 && revents != 0;
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
    Scratch s = SCRATCH.get();
    try {
      return C.open(s.path(path), O_RDONLY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw errno("open", e);
    }
  }

  @Override
  public long filesystemType(int fd) throws ErrnoException {
    Scratch s = SCRATCH.get();
    try {
      C.fstatfs(fd, s.address + Scratch.DATA); // struct statfs: 120 bytes on LP64, f_type first
      return s.view.getLong(Scratch.DATA);
    } catch (LastErrorException e) {
      throw errno("fstatfs", e);
    }
  }

  /** Reads at most the scratch's data size; a short read is a read like any other. */
  @Override
  public int read(int fd, byte[] buf, int length) throws ErrnoException {
    if (length < 0 || length > buf.length) {
      throw new IllegalArgumentException("length " + length + " outside a buffer of " + buf.length);
    }
    Scratch s = SCRATCH.get();
    int count = Math.min(length, Scratch.DATA_SIZE);
    while (true) {
      int n;
      try {
        n = (int) C.read(fd, s.address + Scratch.DATA, count);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EINTR) {
          continue;
        }
        throw errno("read", e);
      }
      if (n > 0) {
        s.view.get(Scratch.DATA, buf, 0, n);
      }
      return n;
    }
  }

  /** Like {@link #read}, at a file offset. */
  @Override
  public int pread(int fd, byte[] buf, int length, long offset) throws ErrnoException {
    if (length < 0 || length > buf.length || offset < 0) {
      throw new IllegalArgumentException("length " + length + " outside a buffer of " + buf.length
          + " or offset " + offset);
    }
    Scratch s = SCRATCH.get();
    int count = Math.min(length, Scratch.DATA_SIZE);
    while (true) {
      int n;
      try {
        n = (int) C.pread(fd, s.address + Scratch.DATA, count, offset);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == EINTR) {
          continue;
        }
        throw errno("pread", e);
      }
      if (n > 0) {
        s.view.get(Scratch.DATA, buf, 0, n);
      }
      return n;
    }
  }

  @Override
  public long pageSize() {
    return PageSize.VALUE;
  }

  private static final class PageSize {
    static final long VALUE = C.getpagesize();
  }

  @Override
  public int readlink(byte[] path, byte[] buf) throws ErrnoException {
    return readlinkAt(AT_FDCWD, path, buf);
  }

  @Override
  public int readlinkAt(int dirfd, byte[] path, byte[] buf) throws ErrnoException {
    Scratch s = SCRATCH.get();
    int size = Math.min(buf.length, Scratch.DATA_SIZE);
    int n;
    try {
      n = (int) C.readlinkat(dirfd, s.path(path), s.address + Scratch.DATA, size);
    } catch (LastErrorException e) {
      throw errno("readlink", e);
    }
    if (n > 0) {
      s.view.get(Scratch.DATA, buf, 0, n);
    }
    return n == size ? buf.length : n; // filled: the caller cannot tell a cut target from an exact one
  }

  @Override
  public FileIdentity stat(byte[] path) throws ErrnoException {
    return statAt(AT_FDCWD, path);
  }

  @Override
  public int openDirectoryPath(byte[] path) throws ErrnoException {
    Scratch s = SCRATCH.get();
    try {
      return C.open(s.path(path), O_PATH | O_DIRECTORY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw errno("open", e);
    }
  }

  @Override
  public FileIdentity statAt(int dirfd, byte[] path) throws ErrnoException {
    ByteBuffer b = statx(dirfd, path, 0, STATX_BASIC_STATS);
    int at = Scratch.STRUCT;
    int mask = b.getInt(at);
    if ((mask & STATX_NEEDED) != STATX_NEEDED) {
      throw new ErrnoException("statx", ENOSYS, "statx did not report the basic fields (mask 0x"
          + Integer.toHexString(mask) + ")");
    }
    long ino = b.getLong(at + 32);
    long size = b.getLong(at + 40);
    long ctime = nanos(b.getLong(at + 96), Integer.toUnsignedLong(b.getInt(at + 104)));
    long mtime = nanos(b.getLong(at + 112), Integer.toUnsignedLong(b.getInt(at + 120)));
    long dev = makedev(Integer.toUnsignedLong(b.getInt(at + 136)), Integer.toUnsignedLong(b.getInt(at + 140)));
    return new FileIdentity(dev, ino, size, mtime, ctime);
  }

  @Override
  public long inode(int fd) throws ErrnoException {
    ByteBuffer b = statx(fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_INO);
    if ((b.getInt(Scratch.STRUCT) & STATX_INO) == 0) {
      throw new ErrnoException("statx", ENOSYS, "statx did not report the inode");
    }
    return b.getLong(Scratch.STRUCT + 32);
  }

  @Override
  public long ownerAt(int dirfd, byte[] name) throws ErrnoException {
    boolean self = name.length == 1 && name[0] == 0;
    ByteBuffer b = statx(dirfd, name, self ? AT_EMPTY_PATH : 0, STATX_UID);
    if ((b.getInt(Scratch.STRUCT) & STATX_UID) == 0) {
      throw new ErrnoException("statx", ENOSYS, "statx did not report the owner");
    }
    return Integer.toUnsignedLong(b.getInt(Scratch.STRUCT + 20)); // stx_uid, after mask, blksize, attributes, nlink
  }

  /**
   * statx(2) into this thread's scratch; the struct starts at {@link Scratch#STRUCT} of the view
   * returned. struct statx is the same on every architecture, so offsets are fixed (linux/stat.h).
   */
  private static ByteBuffer statx(int dirfd, byte[] path, int flags, int mask) throws ErrnoException {
    if (statxMissing) {
      throw new ErrnoException("statx", ENOSYS, "no statx in this C library");
    }
    Scratch s = SCRATCH.get();
    try {
      X.statx(dirfd, s.path(path), flags, mask, s.address + Scratch.STRUCT);
    } catch (LastErrorException e) {
      throw errno("statx", e);
    } catch (LinkageError e) {
      statxMissing = true;
      throw new ErrnoException("statx", ENOSYS, "no statx in this C library: " + e.getMessage());
    }
    return s.view;
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

  // LastErrorException's message is "[errno] text"
  private static String strip(String message) {
    if (message == null) {
      return "";
    }
    int close = message.indexOf(']');
    return (message.startsWith("[") && close > 0 ? message.substring(close + 1) : message).trim();
  }
}
