package dev.peerid.netty;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.kqueue.KQueueDomainSocketChannel;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;

/**
 * Finds the connected socket behind a Netty channel. Native transports (epoll, kqueue) expose the
 * fd directly; NIO channels opened by junixsocket's selector provider hold a junixsocket channel
 * whose fd junixsocket can cast to an int; Netty's {@code NioDomainSocketChannel} holds a JDK
 * Unix-domain channel, whose fd peerid-linux's {@code JdkChannels} reads (it needs
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}). The fd stays owned by the channel.
 */
final class ChannelPeerHandles {
  private static final Method JAVA_CHANNEL = javaChannelMethod();

  private ChannelPeerHandles() {}

  static PeerHandle of(Channel channel) throws PeerIdentificationException {
    if (channel instanceof UnixChannel unix) {
      int fd = unix.fd().intValue();
      if (fd < 0) {
        throw new PeerIdentificationException("the channel's socket is already closed");
      }
      return PeerHandle.socket(fd);
    }
    if (channel instanceof AbstractNioChannel nio) {
      SelectableChannel ch = javaChannel(nio);
      if (ch instanceof SocketChannel jdk && ch.getClass().getName().startsWith("sun.nio.ch.")) {
        return JdkChannelHandles.of(jdk);
      }
      return PeerHandle.socket(junixsocketFd(ch));
    }
    throw new PeerIdentificationException("cannot find the socket of a " + channel.getClass().getName()
        + ": use an epoll or kqueue domain-socket channel, NioDomainSocketChannel (Linux), or NIO over "
        + "junixsocket's AFUNIXSelectorProvider");
  }

  /**
   * The uid the kernel recorded for the peer at connect ({@code SO_PEERCRED}, or junixsocket's
   * credentials), or {@link PeerLimits#UNKNOWN}. Known before any verdict; for accounting only.
   */
  static long uid(Channel channel) {
    try {
      if (channel instanceof EpollDomainSocketChannel epoll) {
        return epoll.peerCredentials().uid();
      }
      if (channel instanceof KQueueDomainSocketChannel kqueue) {
        return kqueue.peerCredentials().uid();
      }
      if (channel instanceof AbstractNioChannel nio) {
        return JunixsocketFds.uid(javaChannel(nio));
      }
    } catch (IOException | PeerIdentificationException | LinkageError | RuntimeException e) {
      // not known: such peers share one count
    }
    return PeerLimits.UNKNOWN;
  }

  private static int junixsocketFd(SelectableChannel ch) throws PeerIdentificationException {
    try {
      return JunixsocketFds.fd(ch);
    } catch (LinkageError e) {
      throw new PeerIdentificationException("the NIO channel is a " + ch.getClass().getName()
          + " and junixsocket is not on the class path: " + e);
    }
  }

  private static SelectableChannel javaChannel(AbstractNioChannel nio) throws PeerIdentificationException {
    if (JAVA_CHANNEL == null) {
      throw new PeerIdentificationException("cannot reach the NIO channel's socket (Netty's javaChannel() is not accessible)");
    }
    try {
      return (SelectableChannel) JAVA_CHANNEL.invoke(nio);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new PeerIdentificationException("cannot reach the NIO channel's socket: " + e);
    }
  }

  // Netty keeps the underlying java.nio channel protected; there is no public accessor.
  private static Method javaChannelMethod() {
    try {
      Method m = AbstractNioChannel.class.getDeclaredMethod("javaChannel");
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
