package dev.peerid.bench;

import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.ReadSender;
import dev.peerid.SenderCheck;
import dev.peerid.TrustStore;
import dev.peerid.linux.LinuxPeers;
import dev.peerid.netty.PeerAuthentication;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * What checking the writer of every read costs. Two measurements, side by side in one run:
 *
 * <ol>
 *   <li>the check alone: {@link SenderCheck#next()} on a connection with data queued (a
 *       {@code MSG_PEEK recvmsg} and a {@code statx} through the pinned {@code /proc/<pid>}), median
 *       of batches;
 *   <li>in a server: one long-lived connection, the client writes one byte and waits for its echo,
 *       again and again (so each round trip is one read on the server); the epoll server runs the
 *       authentication handler with its defaults (every read's writer checked) and with
 *       {@code trustEveryWriterOfAnAllowedConnection()}, alternating rounds; the difference of the
 *       median round trips is what the check adds to a read.
 * </ol>
 *
 * The peer is this JVM (allowed by a path policy that opts in to interpreters).
 * Run: {@code scripts/bench SenderCheckBenchmark [round trips per round] [rounds]}
 */
public final class SenderCheckBenchmark {
  private SenderCheckBenchmark() {}

  public static void main(String[] args) throws Exception {
    int trips = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
    Path dir = Files.createTempDirectory("peerid-bench");
    String javaExe = ProcessHandle.current().info().command().orElseThrow();
    Policy policy = Policy.parse("path = \"" + Path.of(javaExe).toRealPath() + "\" and interpreter");
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(policy).build()) {
      double alone = checkAlone(verifier, dir.resolve("alone.sock"));
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      try {
        Path checked = dir.resolve("checked.sock");
        Path unchecked = dir.resolve("unchecked.sock");
        Channel a = server(group, checked, PeerAuthentication.builder(verifier).build());
        Channel b = server(group, unchecked, PeerAuthentication.builder(verifier)
            .trustEveryWriterOfAnAllowedConnection().build());
        pingPong(checked, trips); // warm-up: JIT, verification cache
        pingPong(unchecked, trips);
        double[] with = new double[rounds];
        double[] without = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          if (r % 2 == 0) {
            with[r] = pingPong(checked, trips);
            without[r] = pingPong(unchecked, trips);
          } else {
            without[r] = pingPong(unchecked, trips);
            with[r] = pingPong(checked, trips);
          }
        }
        System.out.printf("SenderCheckBenchmark: %d rounds x %d round trips per server, alternating; cores=%d%n",
            rounds, trips, Runtime.getRuntime().availableProcessors());
        System.out.printf("  the check alone (SenderCheck.next(), data queued): %.2f us median of batches%n", alone);
        System.out.printf("  round trip, every read's writer checked (default): median %.2f us (per round: %s)%n",
            median(with), format(with));
        System.out.printf("  round trip, writers unchecked:                     median %.2f us (per round: %s)%n",
            median(without), format(without));
        double[] diff = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          diff[r] = with[r] - without[r];
        }
        System.out.printf("  added per read: %+.2f us (median of paired rounds; per round: %s; goal <= 1 us)%n",
            median(diff), format(diff));
        a.close().sync();
        b.close().sync();
      } finally {
        group.shutdownGracefully().sync();
      }
    } finally {
      try (var s = Files.list(dir)) {
        s.forEach(f -> f.toFile().delete());
      }
      Files.deleteIfExists(dir);
    }
  }

  private static double checkAlone(PeerVerifier verifier, Path socket) throws Exception {
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socket))) {
      verifier.prepareListener(LinuxPeers.listener(server));
      try (AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket));
          AFUNIXSocket accepted = server.accept();
          PeerSession session = verifier.open(LinuxPeers.of(accepted))) {
        if (!session.verdict().isAllowed()) {
          throw new IllegalStateException("the benchmark's peer is denied: " + session.verdict());
        }
        client.getOutputStream().write(42);
        try (SenderCheck check = session.senderCheck(LinuxPeers.of(accepted))) {
          int batch = 1000;
          double[] perCall = new double[300];
          for (int b = 0; b < perCall.length; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
              ReadSender s = check.next();
              if (!s.isVerified()) {
                throw new IllegalStateException("the queued byte is not the verified process's: " + s);
              }
            }
            perCall[b] = (System.nanoTime() - t0) / 1e3 / batch;
          }
          return median(Arrays.copyOfRange(perCall, 50, perCall.length)); // the first batches warm up
        }
      }
    }
  }

  /** Median round trip in microseconds: write one byte, read its echo, on one connection. */
  private static double pingPong(Path socket, int trips) throws Exception {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.allocateDirect(1);
      ByteBuffer in = ByteBuffer.allocateDirect(1);
      long[] t = new long[trips];
      for (int i = 0; i < trips; i++) {
        long t0 = System.nanoTime();
        out.clear();
        out.put((byte) 42).flip();
        c.write(out);
        in.clear();
        if (c.read(in) != 1) {
          throw new IllegalStateException("no echo: the connection was closed (denied?)");
        }
        t[i] = System.nanoTime() - t0;
      }
      Arrays.sort(t);
      return t[trips / 2] / 1000.0;
    }
  }

  private static Channel server(EventLoopGroup group, Path socket, PeerAuthentication auth) throws Exception {
    Channel ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(auth.newHandler());
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg);
              }
            });
          }
        }).bind(new DomainSocketAddress(socket.toFile())).sync().channel();
    auth.prepareListener(ch);
    return ch;
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static String format(double[] values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : " ").append(String.format("%.2f", v));
    }
    return b.toString();
  }
}
