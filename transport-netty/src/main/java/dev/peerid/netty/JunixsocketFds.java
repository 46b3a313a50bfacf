package dev.peerid.netty;

import dev.peerid.PeerIdentificationException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.newsclub.net.unix.FileDescriptorAccess;
import org.newsclub.net.unix.FileDescriptorCast;

/** The only class touching junixsocket, so that epoll/kqueue users need not have it. */
final class JunixsocketFds {
  private JunixsocketFds() {}

  static int fd(SelectableChannel ch) throws PeerIdentificationException {
    if (!(ch instanceof FileDescriptorAccess access)) {
      throw new PeerIdentificationException("the NIO channel is a " + ch.getClass().getName()
          + ", not a junixsocket AF_UNIX channel (open it with AFUNIXSelectorProvider)");
    }
    try {
      FileDescriptor fd = access.getFileDescriptor();
      if (fd == null || !fd.valid()) {
        throw new PeerIdentificationException("the channel's socket is already closed");
      }
      return FileDescriptorCast.using(fd).as(Integer.class);
    } catch (IOException | RuntimeException e) {
      throw new PeerIdentificationException("cannot read the junixsocket channel's file descriptor: " + e);
    }
  }

  /** The peer's uid from junixsocket's credentials, or {@link PeerLimits#UNKNOWN}. */
  static long uid(SelectableChannel ch) throws IOException {
    if (ch instanceof AFUNIXSocketChannel unix) {
      AFUNIXSocketCredentials c = unix.getPeerCredentials();
      if (c != null && c.getUid() >= 0) {
        return c.getUid();
      }
    }
    return PeerLimits.UNKNOWN;
  }
}
