package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Netty 4.2's JDK-based {@code NioDomainSocketChannel}: the handler reaches the JDK channel's
 * descriptor through peerid-linux's JdkChannels (the surefire JVM has the --add-exports it needs).
 */
class NioDomainSocketChannelTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private PeerVerifier verifier;
  private PeerAuthentication auth;
  private EventLoopGroup group;
  private Channel server;
  private final BlockingQueue<PeerAuthenticationEvent> events = new LinkedBlockingQueue<>();
  private final AtomicInteger reachedApp = new AtomicInteger();
  private Path socket;

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    verifier = PeerVerifier.builder().trustStore(clients.trustStore()).policy(Policy.parse("signed by \"vendor\"")).build();
    // a longer timeout than the default 5 s: the test machine may be loaded
    auth = PeerAuthentication.builder(verifier).timeout(java.time.Duration.ofSeconds(30)).build();
    socket = dir.resolve("jdk.sock");
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    server = new ServerBootstrap().group(group).channel(NioServerDomainSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addFirst(new PeerAuthenticationHandler(auth));
            ch.pipeline().addLast(new WhoAmI());
          }
        })
        .bind(UnixDomainSocketAddress.of(socket)).sync().channel();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close().sync();
    }
    if (group != null) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }
    if (verifier != null) {
      verifier.close();
    }
  }

  @Test
  void signedCurlIsServedWithItsIdentityAndAnUnsignedCopyRefused() throws Exception {
    Clients.Run signed = Clients.curl(clients.signedCurl, socket);
    assertEquals("pid=" + signed.pid() + " exe=" + clients.signedCurl + "\n200", signed.finish());
    assertTrue(next().isSuccess());

    Clients.Run unsigned = Clients.curl(clients.unsignedCurl, socket);
    assertNotEquals(0, unsigned.exitCode(), unsigned.finish());
    PeerAuthenticationEvent denied = next();
    assertFalse(denied.isSuccess());
    assertTrue(String.join("; ", denied.reasons()).contains("signature"), denied.reasons().toString());
    assertEquals(1, reachedApp.get(), "only the signed client's connection reached the application");
  }

  private PeerAuthenticationEvent next() throws InterruptedException {
    PeerAuthenticationEvent e = events.poll(30, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no authentication event within 30 s");
    }
    return e;
  }

  private final class WhoAmI extends ChannelInboundHandlerAdapter {
    private boolean answered;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof PeerAuthenticationEvent e) {
        events.add(e);
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      if (answered) {
        return; // curl's request came in more than one read: answer once
      }
      answered = true;
      reachedApp.incrementAndGet();
      PeerIdentity id = PeerAuthenticationHandler.identity(ctx.channel());
      String body = "pid=" + id.process().orElseThrow().pid() + " exe=" + id.executable().path();
      String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
      ctx.writeAndFlush(Unpooled.copiedBuffer(response, StandardCharsets.US_ASCII)).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
