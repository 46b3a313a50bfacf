package dev.peerid.netty;

import dev.peerid.PeerIdentificationException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A real server on a Unix socket with the handler first in each pipeline. Its application handler
 * answers the first bytes of an allowed peer with a small HTTP response naming the verified pid,
 * records every authentication event, and counts bytes that reached it before the event (must be 0).
 */
final class AuthServer implements AutoCloseable {
  enum Transport { EPOLL, NIO_JUNIXSOCKET }

  record Outcome(Channel channel, PeerAuthenticationEvent event) {}

  final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
  final AtomicInteger earlyReads = new AtomicInteger();
  final AtomicInteger doubleEvents = new AtomicInteger();
  /** Reads that reached the application after an allow event (the first one is answered). */
  final AtomicInteger appReads = new AtomicInteger();
  final List<Channel> children = new CopyOnWriteArrayList<>();
  private final EventLoopGroup group;
  private final Channel server;
  private volatile int holdResponsesUntil;
  private final List<Runnable> heldResponses = new CopyOnWriteArrayList<>();
  private final AtomicInteger allowedCount = new AtomicInteger();

  private AuthServer(Transport transport, Path socket, PeerAuthentication auth) throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap();
    if (transport == Transport.EPOLL) {
      group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
      b.group(group).channel(EpollServerDomainSocketChannel.class);
    } else {
      AFUNIXSelectorProvider provider = AFUNIXSelectorProvider.provider();
      group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory(provider));
      // bind before registering: junixsocket's poll-based selector reports an unbound socket as
      // hung up, and Netty then closes the channel before its bind runs
      AFUNIXServerSocketChannel bound;
      try {
        bound = AFUNIXServerSocketChannel.open();
        bound.bind(AFUNIXSocketAddress.of(socket), 4096);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      b.group(group).channelFactory(() -> new NioServerSocketChannel(bound));
    }
    b.childHandler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        children.add(ch);
        ch.pipeline().addFirst(auth.newHandler());
        ch.pipeline().addLast(new App());
      }
    });
    if (transport == Transport.EPOLL) {
      server = b.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
    } else {
      server = b.register().sync().channel();
    }
    try {
      auth.prepareListener(server);
    } catch (PeerIdentificationException e) {
      throw new IllegalStateException(e);
    }
  }

  static AuthServer start(Transport transport, Path socket, PeerAuthentication auth) throws InterruptedException {
    return new AuthServer(transport, socket, auth);
  }

  /** Answers no allowed peer until this many were allowed (so that they are all connected at once). */
  void holdResponsesUntil(int allowed) {
    holdResponsesUntil = allowed;
  }

  Outcome next() throws InterruptedException {
    Outcome o = outcomes.poll(30, TimeUnit.SECONDS);
    if (o == null) {
      throw new AssertionError("no authentication event within 30 s");
    }
    return o;
  }

  @Override
  public void close() throws InterruptedException {
    server.close().sync();
    for (Channel c : children) {
      c.close().sync();
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
  }

  private final class App extends ChannelInboundHandlerAdapter {
    private boolean seen;
    private boolean answered;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof PeerAuthenticationEvent e) {
        if (seen) {
          doubleEvents.incrementAndGet();
        }
        seen = true;
        outcomes.add(new Outcome(ctx.channel(), e));
        if (e.isSuccess()) {
          allowedCount.incrementAndGet();
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      if (!seen) {
        earlyReads.incrementAndGet();
        return;
      }
      appReads.incrementAndGet();
      if (answered) {
        return;
      }
      answered = true;
      Runnable answer = () -> ctx.channel().eventLoop().execute(() -> respond(ctx));
      holdOrAnswer(answer);
    }

    private void respond(ChannelHandlerContext ctx) {
      var id = PeerAuthenticationHandler.identity(ctx.channel());
      String body = id == null ? "no identity" : "allowed pid=" + id.process().orElseThrow().pid();
      String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
          + "\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + body;
      ByteBuf buf = Unpooled.copiedBuffer(response, StandardCharsets.US_ASCII);
      ctx.writeAndFlush(buf).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private synchronized void holdOrAnswer(Runnable answer) {
    if (holdResponsesUntil > 0) {
      heldResponses.add(answer);
      if (allowedCount.get() >= holdResponsesUntil) {
        releaseHeld();
      }
    } else {
      answer.run();
    }
  }

  private void releaseHeld() {
    for (Runnable r : heldResponses) {
      r.run();
    }
    heldResponses.clear();
    holdResponsesUntil = 0;
  }
}
