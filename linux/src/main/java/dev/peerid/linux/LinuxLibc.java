package dev.peerid.linux;

/**
 * The only native boundary of the Linux peer backend: the few libc calls Java cannot make itself.
 * Everything else is read from {@code /proc} with plain Java I/O.
 */
interface LinuxLibc {

  int ENOPROTOOPT = 92;
  int ESRCH = 3;
  int EBADF = 9;
  int ENOTSOCK = 88;
  int ENOSYS = 38;
  int EINVAL = 22;
  int ERANGE = 34;

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

  /** True once the process a pidfd names has exited (the pidfd polls readable). */
  boolean hasExited(int pidfd) throws ErrnoException;

  void close(int fd);

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
