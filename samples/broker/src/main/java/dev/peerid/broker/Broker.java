package dev.peerid.broker;

import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.VerdictJson;
import dev.peerid.netty.DenialResponder;
import dev.peerid.netty.PeerAuthentication;
import dev.peerid.netty.PeerAuthenticationEvent;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The HTTP-over-Unix-socket broker: binds the socket (with the configured permissions, replacing
 * a stale socket file, refusing to steal a live one), authenticates every connection with the
 * connection policy, and serves {@link BrokerHandler}'s routes. {@link #close()} stops it and
 * removes the socket file.
 */
final class Broker implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.peerid.broker");
  private static final int MAX_BODY = 16 * 1024;

  private final Path socket;
  private final PeerVerifier verifier;
  private final AuditLog auditLog;
  private final EventLoopGroup group;
  private final Channel server;
  private volatile boolean closed;

  /** Everything the broker needs; the rules may be empty. */
  record Settings(Path socket, TrustStore trust, Policy connect, AccessRules rules,
      Set<PosixFilePermission> socketMode, boolean refusal, Consumer<PeerAuthenticationEvent> audit,
      BrokerLimits limits) {
    Settings {
      Objects.requireNonNull(socket, "socket");
      Objects.requireNonNull(trust, "trust");
      Objects.requireNonNull(connect, "connect");
      Objects.requireNonNull(rules, "rules");
      Objects.requireNonNull(socketMode, "socketMode");
      Objects.requireNonNull(limits, "limits");
      audit = audit != null ? audit : e -> {};
    }

    /** With the limits the rules set (the defaults for the others). */
    Settings(Path socket, TrustStore trust, Policy connect, AccessRules rules, Set<PosixFilePermission> socketMode,
        boolean refusal, Consumer<PeerAuthenticationEvent> audit) {
      this(socket, trust, connect, rules, socketMode, refusal, audit, rules.limits());
    }
  }

  private Broker(Settings s) throws IOException, InterruptedException {
    this.socket = s.socket().toAbsolutePath();
    clearStaleSocket(socket);
    this.auditLog = s.rules().audit().isPresent() ? AuditLog.open(s.rules().audit().get()) : null;
    PeerVerifier.Builder vb = PeerVerifier.builder().trustStore(s.trust()).policy(s.connect());
    if (auditLog != null) {
      vb.onVerdict(auditLog::write);
    }
    this.verifier = vb.build();
    PeerAuthentication.Builder ab = PeerAuthentication.builder(verifier).timeout(Duration.ofSeconds(10));
    if (s.refusal()) {
      ab.responder(DenialResponder.text(Broker::refusal));
    }
    PeerAuthentication auth = ab.build();
    BrokerLimits limits = s.limits();
    Topics topics = new Topics(1000, 100, limits.topicBudget(), limits.maxStoredBytes());
    ServerBootstrap b = new ServerBootstrap();
    // bind under a temporary name, set the permissions, then move it into place: no window in
    // which the socket exists at its public path with the process umask's permissions
    Path temp = socket.resolveSibling("." + socket.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    Files.deleteIfExists(temp);
    boolean epoll = Epoll.isAvailable();
    AFUNIXServerSocketChannel preBound = null;
    if (epoll) {
      group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
      b.group(group).channel(EpollServerDomainSocketChannel.class);
    } else {
      group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory(AFUNIXSelectorProvider.provider()));
      // junixsocket's selector reports an unbound socket as hung up, so bind before registering
      preBound = AFUNIXServerSocketChannel.open();
      AFUNIXServerSocketChannel bound = preBound;
      b.group(group).channelFactory(() -> new NioServerSocketChannel(bound));
    }
    b.childOption(ChannelOption.AUTO_READ, false);
    b.childHandler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        RequestTimeouts timeouts = new RequestTimeouts(limits.idleTimeout(), limits.headerTimeout());
        ch.pipeline().addLast(auth.newHandler());
        ch.pipeline().addLast(new Audit(s.audit()));
        ch.pipeline().addLast(timeouts);
        ch.pipeline().addLast(new HttpServerCodec());
        ch.pipeline().addLast(new ChunkedWriteHandler());
        ch.pipeline().addLast(new HttpObjectAggregator(MAX_BODY));
        // with AUTO_READ off, one request at a time reaches the broker, when it asks for it
        ch.pipeline().addLast(new FlowControlHandler());
        ch.pipeline().addLast(new BrokerHandler(s.rules(), topics, timeouts));
      }
    });
    try {
      if (epoll) {
        server = b.bind(new DomainSocketAddress(temp.toFile())).sync().channel();
      } else {
        preBound.bind(AFUNIXSocketAddress.of(temp), 256);
        server = b.register().sync().channel();
      }
      // before the socket is reachable at its public path: every connection names each read's writer
      try {
        auth.prepareListener(server);
      } catch (PeerIdentificationException e) {
        throw new IOException("cannot prepare the listening socket: " + e.getMessage(), e);
      }
      Files.setPosixFilePermissions(temp, s.socketMode());
      Files.move(temp, socket, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (preBound != null) {
        preBound.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      verifier.close();
      if (auditLog != null) {
        auditLog.close();
      }
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  static Broker start(Settings settings) throws IOException, InterruptedException {
    return new Broker(settings);
  }

  Path socket() {
    return socket;
  }

  /** Blocks until the broker is closed. */
  void awaitClose() throws InterruptedException {
    server.closeFuture().sync();
    group.terminationFuture().sync();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close().syncUninterruptibly();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    } finally {
      verifier.close();
      if (auditLog != null) {
        auditLog.close();
      }
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot remove " + socket + ": " + e.getMessage());
      }
    }
  }

  private static String refusal(PeerAuthenticationEvent e) {
    String body = VerdictJson.write(BrokerHandler.error("peer denied", e.reasons())) + "\n";
    return "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
  }

  /**
   * A socket file left by a broker that died is removed; a live one (something accepts on it) or
   * a file that is not a socket is left alone and refused.
   */
  static void clearStaleSocket(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & 0170000) != 0140000) {
      throw new IOException(socket + " exists and is not a socket; not replacing it");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      throw new IOException(socket + " is in use by a running server");
    } catch (ConnectException stale) {
      Files.delete(socket);
      LOG.log(System.Logger.Level.INFO, "removed stale socket " + socket);
    }
  }

  /** Hands every authentication event to the audit listener. */
  private static final class Audit extends ChannelInboundHandlerAdapter {
    private final Consumer<PeerAuthenticationEvent> audit;

    Audit(Consumer<PeerAuthenticationEvent> audit) {
      this.audit = audit;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof PeerAuthenticationEvent e) {
        try {
          audit.accept(e);
        } catch (RuntimeException ignored) {
          // an audit listener must not break the connection
        }
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
