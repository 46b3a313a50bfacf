package dev.peerid.netty;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.linux.JdkChannels;
import java.nio.channels.SocketChannel;

/** The only class touching peerid-linux, so that epoll, kqueue and junixsocket users need not have it. */
final class JdkChannelHandles {
  private JdkChannelHandles() {}

  static PeerHandle of(SocketChannel ch) throws PeerIdentificationException {
    try {
      return JdkChannels.handle(ch);
    } catch (LinkageError e) {
      throw new PeerIdentificationException("the NIO channel is a JDK Unix-domain channel "
          + "(NioDomainSocketChannel) and peerid-linux, which reads its descriptor, is not on the class path: " + e);
    }
  }
}
