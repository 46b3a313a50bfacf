package dev.peerid.windows;

import dev.peerid.PeerHandle;

/**
 * Windows connections the backend identifies peers by. The caller keeps ownership of the handle or
 * socket: peerid never closes it.
 */
public sealed interface WindowsPeerHandle extends PeerHandle {

  /** A connected server end of a named pipe (a HANDLE value). */
  static WindowsPeerHandle namedPipe(long pipeHandle) {
    return new NamedPipe(pipeHandle);
  }

  /** A connected AF_UNIX socket (a SOCKET value); the peer pid comes from SIO_AF_UNIX_GETPEERPID. */
  static WindowsPeerHandle afUnixSocket(long socket) {
    return new AfUnixSocket(socket);
  }

  /**
   * A pid the kernel reported for a connection, e.g. junixsocket's
   * {@code AFUNIXSocket.getPeerCredentials().getPid()} on Windows. Pinned like a pipe client.
   */
  static WindowsPeerHandle connectionPid(long pid) {
    return new ConnectionPid(pid);
  }

  record NamedPipe(long pipeHandle) implements WindowsPeerHandle {
    public NamedPipe {
      if (pipeHandle == 0 || pipeHandle == -1) {
        throw new IllegalArgumentException("not a pipe handle: " + pipeHandle);
      }
    }
  }

  record AfUnixSocket(long socket) implements WindowsPeerHandle {
    public AfUnixSocket {
      if (socket == 0 || socket == -1) {
        throw new IllegalArgumentException("not a socket: " + socket);
      }
    }
  }

  record ConnectionPid(long pid) implements WindowsPeerHandle {
    public ConnectionPid {
      if (pid <= 0) {
        throw new IllegalArgumentException("pid must be > 0: " + pid);
      }
    }
  }
}
