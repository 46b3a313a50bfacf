package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerificationException;
import dev.peerid.PeerVerifier;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Peer handles for junixsocket sockets. The socket stays owned by the caller; the handle keeps a
 * reference to it so that its descriptor cannot be closed by the garbage collector (and its number
 * reused) while a verification is under way.
 */
public final class LinuxPeers {
  private LinuxPeers() {}

  /** The peer of a connected junixsocket socket. */
  public static PeerHandle of(AFUNIXSocket socket) {
    Objects.requireNonNull(socket, "socket");
    return new JunixsocketHandle(socket, socket::getFileDescriptor, socket::isClosed);
  }

  /** The peer of a connected junixsocket channel. */
  public static PeerHandle of(AFUNIXSocketChannel channel) {
    Objects.requireNonNull(channel, "channel");
    return new JunixsocketHandle(channel, channel::getFileDescriptor, () -> !channel.isOpen());
  }

  /**
   * The input of {@code socket}, a connection whose peer {@code session} verified and allowed, read
   * so that no byte written by another process is returned: before each read the writer of what
   * it returns is checked (the verified process, still running the file that was verified; or
   * another process, verified on its own through {@code verifier} and its cache, and admitted if
   * allowed). A refused writer's data is never returned: the socket is closed and the read throws
   * {@link RefusedWriterException}. Closing the stream closes the socket; the session stays the
   * caller's. Honours the socket's read timeout. Prepare the listening socket with
   * {@link PeerVerifier#prepareListener} so that the first bytes name their writer too.
   */
  public static InputStream senderCheckedInput(PeerVerifier verifier, PeerSession session, AFUNIXSocket socket)
      throws IOException, PeerVerificationException {
    return new SenderCheckedInputStream(verifier, session, socket, new JnaLinuxLibc());
  }

  /** The listening socket of a junixsocket server, for {@link PeerVerifier#prepareListener}. */
  public static PeerHandle listener(AFUNIXServerSocket server) {
    Objects.requireNonNull(server, "server");
    return new JunixsocketHandle(server, server::getFileDescriptor, server::isClosed);
  }

  interface DescriptorSource {
    FileDescriptor get() throws IOException;
  }

  interface ClosedCheck {
    boolean isClosed();
  }

  /** A junixsocket socket or channel whose descriptor is read when the peer is identified. */
  static final class JunixsocketHandle implements PeerHandle {
    private final Object socket;
    private final DescriptorSource descriptor;
    private final ClosedCheck closed;

    JunixsocketHandle(Object socket, DescriptorSource descriptor, ClosedCheck closed) {
      this.socket = socket;
      this.descriptor = descriptor;
      this.closed = closed;
    }

    int fd() throws PeerIdentificationException {
      if (closed.isClosed()) {
        throw new PeerIdentificationException("the socket is closed: " + socket);
      }
      try {
        Integer fd = FileDescriptorCast.using(descriptor.get()).as(Integer.class);
        if (fd == null || fd < 0) {
          throw new PeerIdentificationException("the socket has no valid descriptor: " + socket);
        }
        return fd;
      } catch (IOException e) {
        throw new PeerIdentificationException("cannot get the descriptor of " + socket + ": " + e.getMessage(), e);
      }
    }

    @Override
    public String toString() {
      return "junixsocket peer of " + socket;
    }
  }

  /**
   * Another process that wrote to a verified peer's connection, as {@link LinuxReadSenders} found
   * it at the head of the queue: its pid, and what pins it: the inode of its pidfd on pidfs, or
   * (-1 there) its start time. Holds no descriptor; the backend opens its own and checks the pin.
   */
  record WriterHandle(long pid, long processInode, long startTime) implements PeerHandle {
    @Override
    public String toString() {
      return "writer " + pid + (processInode >= 0 ? " (pidfs inode " + processInode + ")" : " (start time " + startTime + ")");
    }
  }
}
