/**
 * A Netty handler that admits a connection only when its peer is verified. junixsocket is needed
 * only with NIO over junixsocket's selector provider, so it is optional here.
 */
module dev.peerid.netty {
  requires transitive dev.peerid;
  requires transitive io.netty.transport;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.transport.unix.common;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.classes.kqueue;
  requires io.netty.handler;
  requires static org.newsclub.net.unix;
  // only for NioDomainSocketChannel (JdkChannelHandles), through the Linux backend's JdkChannels
  requires static dev.peerid.linux;

  exports dev.peerid.netty;
}
