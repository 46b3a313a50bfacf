package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.util.Objects;
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
}
