package dev.peerid;

/**
 * What identifies the peer to a backend. Prefer a connected socket: the kernel vouches for its
 * credentials. A bare pid is for inspection only; its identity is marked racy. A pidfd (Linux)
 * pins its process, so its identity is not. Platform modules add their own handles (a Windows
 * pipe, a junixsocket socket).
 */
public interface PeerHandle {

  /** A connected Unix-domain socket, by its file descriptor. The caller keeps ownership of the fd. */
  static PeerHandle socket(int fd) {
    return new SocketFd(fd);
  }

  /** A process by id: racy, for inspection only. */
  static PeerHandle pid(long pid) {
    return new ProcessId(pid);
  }

  /**
   * A process by pidfd (Linux 5.3+), for services that learn their client from a bus or a service
   * manager rather than from their own socket (D-Bus {@code GetConnectionCredentials} gives one as
   * {@code ProcessFD}; varlink and systemd pass them too). The pidfd pins the process, so its
   * identity is not racy; its user and groups are the process's current effective ones (there is
   * no socket whose connect-time credentials the kernel kept). The caller keeps ownership of the
   * fd: peerid works on a duplicate of it and never closes {@code fd}; it may be closed as soon as
   * the call that took the handle returns.
   */
  static PeerHandle pidfd(int fd) {
    return new ProcessFd(fd);
  }

  /** A pidfd (not owned: never closed by peerid, which duplicates it). */
  record ProcessFd(int fd) implements PeerHandle {
    public ProcessFd {
      if (fd < 0) {
        throw new IllegalArgumentException("fd must be >= 0: " + fd);
      }
    }
  }

  /** A connected socket's file descriptor (not owned: never closed by peerid). */
  record SocketFd(int fd) implements PeerHandle {
    public SocketFd {
      if (fd < 0) {
        throw new IllegalArgumentException("fd must be >= 0: " + fd);
      }
    }
  }

  /** A bare process id; the resulting identity is {@link ProcessInfo#racy() racy}. */
  record ProcessId(long pid) implements PeerHandle {
    public ProcessId {
      if (pid <= 0) {
        throw new IllegalArgumentException("pid must be > 0: " + pid);
      }
    }
  }
}
