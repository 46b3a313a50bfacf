package dev.peerid.linux;

/**
 * The only native boundary of the Linux peer backend: the libc calls Java cannot make itself, and
 * the plain open/read/readlink/statx the backend uses for {@code /proc} on the path of every
 * verification (the JDK's file classes cost more than the system calls there: channels, cleaners,
 * attribute maps).
 */
interface LinuxLibc {

  int ENOPROTOOPT = 92;
  int ESRCH = 3;
  int EBADF = 9;
  int ENOTSOCK = 88;
  int ENOSYS = 38;
  int EINVAL = 22;
  int ERANGE = 34;
  int EPERM = 1;
  int ENOENT = 2;
  int EACCES = 13;
  int EINTR = 4;
  /** The dirfd that means "relative to the working directory" (an absolute path ignores it). */
  int AT_FDCWD = -100;

  /** The peer's credentials as the kernel captured them at connect(): {@code SO_PEERCRED}. */
  PeerCredentials peerCredentials(int socketFd) throws ErrnoException;

  /**
   * A pidfd for the peer ({@code SO_PEERPIDFD}, Linux 6.5+; {@link #ENOPROTOOPT} before). The
   * caller owns the returned descriptor.
   */
  int peerPidfd(int socketFd) throws ErrnoException;

  /** The peer's supplementary group ids ({@code SO_PEERGROUPS}, Linux 4.13+). */
  long[] peerGroups(int socketFd) throws ErrnoException;

  /** {@code pidfd_open(pid, 0)} (Linux 5.3+). The caller owns the returned descriptor. */
  int pidfdOpen(long pid) throws ErrnoException;

  /**
   * {@code fcntl(fd, F_DUPFD_CLOEXEC, 0)}: a new descriptor for the same open file, which the
   * caller owns. The default answers ENOSYS, for test doubles that do not care.
   */
  default int dupCloexec(int fd) throws ErrnoException {
    throw new ErrnoException("fcntl", ENOSYS, "not implemented");
  }

  /** True once the process a pidfd names has exited (the pidfd polls readable). */
  boolean hasExited(int pidfd) throws ErrnoException;

  void close(int fd);

  /**
   * {@code open(path, O_RDONLY | O_CLOEXEC)}; {@code path} is NUL-terminated. The caller owns the
   * returned descriptor.
   */
  int openReadOnly(byte[] path) throws ErrnoException;

  /** {@code read(fd, buf, length)} into the start of {@code buf}: the byte count, 0 at end of file. */
  int read(int fd, byte[] buf, int length) throws ErrnoException;

  /**
   * {@code pread(fd, buf, length, offset)} into the start of {@code buf}: the byte count, 0 at end
   * of file. The default answers ENOSYS, for test doubles that do not care.
   */
  default int pread(int fd, byte[] buf, int length, long offset) throws ErrnoException {
    throw new ErrnoException("pread", ENOSYS, "not implemented");
  }

  /** The system's page size ({@code getpagesize()}); the default is the common 4096, for test doubles. */
  default long pageSize() {
    return 4096;
  }

  /**
   * {@code readlink(path, buf, buf.length)}: the length of the target written to the start of
   * {@code buf} (not NUL-terminated; equal to {@code buf.length} when it may have been cut).
   */
  int readlink(byte[] path, byte[] buf) throws ErrnoException;

  /**
   * {@code readlinkat(dirfd, name, buf, buf.length)}, like {@link #readlink}. The default answers
   * ENOSYS, for test doubles that do not care.
   */
  default int readlinkAt(int dirfd, byte[] name, byte[] buf) throws ErrnoException {
    throw new ErrnoException("readlinkat", ENOSYS, "not implemented");
  }

  /**
   * {@code statx(AT_FDCWD, path, 0, STATX_BASIC_STATS)}, following links (for {@code
   * /proc/<pid>/exe}: the inode the process runs). The device is encoded as glibc's {@code
   * makedev} does, so the identity equals the JDK's {@code unix:dev} view of the same file.
   */
  dev.peerid.FileIdentity stat(byte[] path) throws ErrnoException;

  /**
   * {@link #stat} of {@code name} relative to the directory {@code dirfd} names. The default
   * answers ENOSYS, for test doubles that do not care.
   */
  default dev.peerid.FileIdentity statAt(int dirfd, byte[] name) throws ErrnoException {
    throw new ErrnoException("statx", ENOSYS, "not implemented");
  }

  /**
   * {@code open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)}: a handle on a directory, to look names
   * up in, that reads nothing. The default answers ENOSYS, for test doubles that do not care.
   */
  default int openDirectoryPath(byte[] path) throws ErrnoException {
    throw new ErrnoException("open", ENOSYS, "not implemented");
  }

  /**
   * The owner ({@code stx_uid}) of {@code name} relative to {@code dirfd}, following links; with an
   * empty name ({@code {0}}), of the file {@code dirfd} itself ({@code AT_EMPTY_PATH}). The
   * default answers ENOSYS, for test doubles that do not care.
   */
  default long ownerAt(int dirfd, byte[] name) throws ErrnoException {
    throw new ErrnoException("statx", ENOSYS, "not implemented");
  }

  /** {@code statfs.f_type} of FUSE filesystems. */
  long FUSE_SUPER_MAGIC = 0x65735546L;

  /**
   * {@code fstatfs(fd).f_type}: the kind of filesystem the open file is on. The default answers
   * ENOSYS (unknown), for test doubles that do not care.
   */
  default long filesystemType(int fd) throws ErrnoException {
    throw new ErrnoException("fstatfs", ENOSYS, "not implemented");
  }

  /** {@code statfs.f_type} of pidfs, where pidfds live since Linux 6.9. */
  long PIDFS_SUPER_MAGIC = 0x50494446L;

  /**
   * The inode number of an open file ({@code statx(fd, "", AT_EMPTY_PATH, STATX_INO)}). For a
   * pidfd on pidfs it names the process for the whole boot: pidfs never gives one inode number
   * to two processes, unlike the pid itself. The default answers ENOSYS, for test doubles.
   */
  default long inode(int fd) throws ErrnoException {
    throw new ErrnoException("statx", ENOSYS, "not implemented");
  }

  /** ucred as {@code SO_PEERCRED} reports it: pid 0 when the peer is in a PID namespace we cannot see. */
  record PeerCredentials(long pid, long uid, long gid) {}

  /** A failed call, with the errno the kernel gave. */
  final class ErrnoException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    ErrnoException(String call, int errno, String detail) {
      super(call + " failed: errno " + errno + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }
}
