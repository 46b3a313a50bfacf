package dev.peerid.bench;

import dev.peerid.PeerHandle;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.linux.LinuxPeerBackend;
import dev.peerid.linux.ima.ImaHashAlgorithm;
import dev.peerid.linux.ima.ImaSigner;
import dev.peerid.netty.PeerAuthentication;
import dev.peerid.netty.PeerAuthenticationEvent;
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
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * New connections per second to an epoll Unix-socket echo server without and with
 * {@code PeerAuthenticationHandler} (warm verification cache), side by side in one run, and the
 * same with a Linux backend that reads every connection's peer in full
 * ({@code reuseProcessFactsFor(Duration.ZERO)}, i.e. no process facts reused), and the
 * latency to a connection's first echoed byte (median, p99). Both servers see the same clients:
 * by default N single-threaded native processes (see {@link NativeEchoClients}), signed with a
 * throwaway key and allowed by the policy {@code signed}, as real clients of such a server are;
 * with {@code jvm} the N client threads of this JVM (allowed by a path policy that opts in to
 * interpreters), which makes every peer a process with dozens of threads, each of which the Linux
 * backend checks for a tracer.
 *
 * <p>Run: {@code scripts/bench HandlerThroughputBenchmark [seconds] [clients] [rounds] [native|jvm]}
 */
public final class HandlerThroughputBenchmark {
  private HandlerThroughputBenchmark() {}

  record Result(double perSecond, long[] firstByteNanos) {
    double percentile(double p) {
      long[] s = firstByteNanos.clone();
      Arrays.sort(s);
      return s.length == 0 ? Double.NaN : s[Math.min(s.length - 1, (int) Math.floor(p * s.length))] / 1000.0;
    }
  }

  /** Whoever connects: {@code run} makes every client connect to {@code socket} for {@code duration}. */
  interface Clients {
    Result run(Path socket, Duration duration) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    boolean jvmClients = args.length > 3 && args[3].equals("jvm");
    if (args.length > 3 && !jvmClients && !args[3].equals("native")) {
      throw new IllegalArgumentException("the 4th argument is the client kind: native (default) or jvm");
    }
    Path dir = Files.createTempDirectory("peerid-bench");
    TrustStore trust;
    Policy policy;
    NativeEchoClients nativeClients = null;
    String clientsLine;
    if (jvmClients) {
      // the old mode: this JVM is the peer (dozens of threads, each of which the backend checks)
      String javaExe = ProcessHandle.current().info().command().orElseThrow();
      trust = TrustStore.empty();
      policy = Policy.parse("path = \"" + Path.of(javaExe).toRealPath() + "\" and interpreter");
      clientsLine = threads + " client threads in this JVM (the peer is this JVM, "
          + ProcessHandle.current().info().command().orElse("?") + ")";
    } else {
      // the realistic mode: single-threaded native clients, signed with a throwaway key the verifier trusts
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair key = generator.generateKeyPair();
      ImaSigner signer = ImaSigner.of(key.getPrivate(), key.getPublic(), null, ImaHashAlgorithm.SHA256);
      Path signature = NativeEchoClients.build(dir, signer);
      trust = TrustStore.builder().trust("bench", key.getPublic()).build();
      policy = Policy.parse("signed");
      nativeClients = NativeEchoClients.start(dir.resolve("echo-client"), threads);
      clientsLine = threads + " native client processes (C, gcc -O2, one thread each; IMA signature in "
          + (signature.equals(nativeClients.executable()) ? "security.ima" : "the .sig sidecar")
          + ", policy \"signed\")";
    }
    NativeEchoClients nativeOnes = nativeClients;
    Clients clients = jvmClients ? (socket, duration) -> run(socket, threads, duration) : nativeOnes::run;
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(trust).policy(policy).build();
        LinuxPeerBackend fullReads = LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ZERO).build();
        PeerVerifier fullVerifier = PeerVerifier.builder().trustStore(trust).policy(policy).backend(fullReads)
            .build()) {
      PeerAuthentication auth = PeerAuthentication.builder(verifier).maxPending(4096).build();
      // the same without the per-uid and per-process accounting, to show what it costs
      PeerAuthentication uncounted = PeerAuthentication.builder(verifier).maxPending(4096).withoutPerPeerLimits()
          .build();
      PeerAuthentication fullAuth = PeerAuthentication.builder(fullVerifier).maxPending(4096).build();
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      AtomicLong denied = new AtomicLong();
      try {
        List<Channel> servers = List.of(server(group, dir.resolve("plain.sock"), null, denied),
            server(group, dir.resolve("auth.sock"), auth, denied),
            server(group, dir.resolve("full.sock"), fullAuth, denied),
            server(group, dir.resolve("uncounted.sock"), uncounted, denied));
        List<Path> sockets = List.of(dir.resolve("plain.sock"), dir.resolve("auth.sock"), dir.resolve("full.sock"),
            dir.resolve("uncounted.sock"));
        // warm up: JIT, verification cache (one verification of the client's executable)
        for (Path socket : sockets) {
          clients.run(socket, Duration.ofSeconds(2));
        }
        if (denied.get() > 0) {
          System.err.println("the handler denied the client (" + denied.get() + " times); the benchmark needs an "
              + "allowing policy");
          System.exit(1);
        }
        List<List<Result>> runs = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        double[][] ratios = new double[3][rounds];
        for (int round = 0; round < rounds; round++) {
          // the order rotates too, so that no server always runs right after a GC of another's garbage
          Result[] r = new Result[4];
          for (int k = 0; k < 4; k++) {
            int which = (round + k) % 4;
            r[which] = clients.run(sockets.get(which), Duration.ofSeconds(seconds));
            runs.get(which).add(r[which]);
          }
          ratios[0][round] = r[1].perSecond() / r[0].perSecond();
          ratios[1][round] = r[2].perSecond() / r[0].perSecond();
          ratios[2][round] = r[3].perSecond() / r[0].perSecond();
        }
        Result p = merge(runs.get(0));
        Result a = merge(runs.get(1));
        Result f = merge(runs.get(2));
        Result u = merge(runs.get(3));
        System.out.printf("HandlerThroughputBenchmark: epoll Unix socket echo, %d rounds x %d s per server, "
            + "rotating%n", rounds, seconds);
        System.out.printf("  clients: %s%n", clientsLine);
        System.out.printf("  cores=%d, verifier cache entries=%d, denied=%d, connections closed without echo=%d%n",
            Runtime.getRuntime().availableProcessors(), verifier.cachedFiles(), denied.get(),
            nativeClients == null ? 0 : nativeClients.failures());
        System.out.printf("  %-38s %12s %14s %14s%n", "", "conn/s", "first byte p50", "first byte p99");
        System.out.printf("  %-38s %12.0f %11.1f us %11.1f us%n", "plain echo", p.perSecond(),
            p.percentile(0.5), p.percentile(0.99));
        System.out.printf("  %-38s %12.0f %11.1f us %11.1f us%n", "with handler (warm; the default)",
            a.perSecond(), a.percentile(0.5), a.percentile(0.99));
        System.out.printf("  %-38s %12.0f %11.1f us %11.1f us%n", "with handler, every peer read in full",
            f.perSecond(), f.percentile(0.5), f.percentile(0.99));
        System.out.printf("  %-38s %12.0f %11.1f us %11.1f us%n", "with handler, no per-peer accounting",
            u.perSecond(), u.percentile(0.5), u.percentile(0.99));
        System.out.printf("  ratio with/without: %.2f (goal >= 0.70); per round (paired, back to back): %s, "
            + "median %.2f%n", a.perSecond() / p.perSecond(), format(ratios[0]), median(ratios[0]));
        System.out.printf("  ratio with the handler but no per-peer accounting (withoutPerPeerLimits): %.2f; per round: "
            + "%s, median %.2f; accounting on / off: %.2f%n", u.perSecond() / p.perSecond(), format(ratios[2]),
            median(ratios[2]), a.perSecond() / u.perSecond());
        System.out.printf("  ratio with every peer read in full (reuseProcessFactsFor(0)): %.2f; per round: %s, "
            + "median %.2f%n", f.perSecond() / p.perSecond(), format(ratios[1]), median(ratios[1]));
        System.out.printf("  of which the verifier's warm path (PeerVerifier.open + close, one thread): %.1f us, "
            + "with every peer read in full: %.1f us%n",
            verifierOnly(verifier, dir.resolve("direct.sock"), nativeClients),
            verifierOnly(fullVerifier, dir.resolve("direct-full.sock"), nativeClients));
        System.out.printf("  added first-byte latency: p50 %+.1f us, p99 %+.1f us (full reads: %+.1f us, %+.1f us)%n",
            a.percentile(0.5) - p.percentile(0.5), a.percentile(0.99) - p.percentile(0.99),
            f.percentile(0.5) - p.percentile(0.5), f.percentile(0.99) - p.percentile(0.99));
        for (Channel c : servers) {
          c.close().sync();
        }
      } finally {
        group.shutdownGracefully().sync();
      }
    } finally {
      if (nativeClients != null) {
        nativeClients.close();
      }
      try (var s = Files.list(dir)) {
        s.forEach(f -> f.toFile().delete());
      }
      Files.deleteIfExists(dir);
    }
  }

  private static Channel server(EventLoopGroup group, Path socket, PeerAuthentication auth, AtomicLong denied)
      throws InterruptedException {
    return new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (auth != null) {
              ch.pipeline().addLast(auth.newHandler());
            }
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof PeerAuthenticationEvent e && !e.isSuccess()) {
                  denied.incrementAndGet();
                }
              }

              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.writeAndFlush(msg);
              }
            });
          }
        }).bind(new DomainSocketAddress(socket.toFile())).sync().channel();
  }

  private static Result run(Path socket, int threads, Duration duration) throws Exception {
    long end = System.nanoTime() + duration.toNanos();
    List<long[]> samples = new ArrayList<>();
    List<Thread> ts = new ArrayList<>();
    long[] counts = new long[threads];
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      long[] mine = new long[2_000_000 / threads];
      samples.add(mine);
      int idx = t;
      Thread th = new Thread(() -> {
        ByteBuffer out = ByteBuffer.allocateDirect(1);
        ByteBuffer in = ByteBuffer.allocateDirect(1);
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        int n = 0;
        while (System.nanoTime() < end && n < mine.length) {
          long t0 = System.nanoTime();
          try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(address);
            out.clear();
            out.put((byte) 42).flip();
            c.write(out);
            in.clear();
            if (c.read(in) != 1) {
              throw new IllegalStateException("no echo: the connection was closed");
            }
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          mine[n++] = System.nanoTime() - t0;
        }
        counts[idx] = n;
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long total = Arrays.stream(counts).sum();
    long[] all = new long[(int) total];
    int k = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(samples.get(t), 0, all, k, (int) counts[t]);
      k += counts[t];
    }
    return new Result(total / elapsed, all);
  }

  /**
   * Cost of one warm verification without Netty: backend attach, cache hit, policy, close; the peer
   * is one of the native clients, or with {@code jvm} this JVM.
   */
  private static double verifierOnly(PeerVerifier verifier, Path socket, NativeEchoClients nativeClients)
      throws Exception {
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socket))) {
      if (nativeClients == null) {
        try (AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket))) {
          return verifyAgainAndAgain(verifier, server);
        }
      }
      nativeClients.hold(socket);
      try {
        return verifyAgainAndAgain(verifier, server);
      } finally {
        nativeClients.release();
      }
    }
  }

  private static double verifyAgainAndAgain(PeerVerifier verifier, AFUNIXServerSocket server) throws Exception {
    try (AFUNIXSocket accepted = server.accept()) {
      int fd = FileDescriptorCast.using(accepted.getFileDescriptor()).as(Integer.class);
      try (PeerSession s = verifier.open(PeerHandle.socket(fd))) {
        System.out.printf("  the peer's verdict: %s, signature %s%n", s.verdict().isAllowed() ? "allow" : "deny",
            s.verdict().identity().map(id -> id.signature().status().toString()).orElse("(no identity)"));
      }
      double best = Double.MAX_VALUE;
      for (int round = 0; round < 3; round++) {
        int n = 20_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          try (PeerSession s = verifier.open(PeerHandle.socket(fd))) {
            if (!s.verdict().isAllowed()) {
              throw new IllegalStateException("denied: " + s.verdict());
            }
          }
        }
        best = Math.min(best, (System.nanoTime() - t0) / 1e3 / n);
      }
      return best;
    }
  }

  private static String format(double[] values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : " ").append(String.format("%.2f", v));
    }
    return b.toString();
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static Result merge(List<Result> runs) {
    double rate = runs.stream().mapToDouble(Result::perSecond).average().orElse(0);
    long[] all = runs.stream().flatMapToLong(r -> Arrays.stream(r.firstByteNanos())).toArray();
    return new Result(rate, all);
  }
}
