package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Reactor Netty (the server under Spring WebFlux) on a Unix socket, with the handler added first
 * in {@code doOnChannelInit}: Reactor drives reads itself (auto-read off, a read per demand), and
 * the handler's gating must hold those reads back until the verdict and then let them through.
 */
class ReactorNettyTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private PeerVerifier verifier;
  private PeerAuthentication auth;
  private DisposableServer server;
  private final AtomicInteger routed = new AtomicInteger();
  private final BlockingQueue<PeerAuthenticationEvent> events = new LinkedBlockingQueue<>();
  private final AtomicReference<Boolean> autoRead = new AtomicReference<>();

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    verifier = PeerVerifier.builder().trustStore(clients.trustStore()).policy(Policy.parse("signed by \"vendor\"")).build();
    // a longer timeout than the default 5 s: the test machine may be loaded
    auth = PeerAuthentication.builder(verifier).timeout(java.time.Duration.ofSeconds(30)).build();
    Path socket = dir.resolve("reactor.sock");
    server = HttpServer.create()
        .bindAddress(() -> new DomainSocketAddress(socket.toFile()))
        .doOnChannelInit((observer, ch, address) -> {
          ch.pipeline().addFirst("peerid", new PeerAuthenticationHandler(auth));
          ch.pipeline().addAfter("peerid", "peerid-events", new Events());
        })
        .route(routes -> routes.get("/whoami", (req, res) -> {
          routed.incrementAndGet();
          AtomicReference<Channel> channel = new AtomicReference<>();
          req.withConnection(c -> channel.set(c.channel()));
          autoRead.set(channel.get().config().isAutoRead());
          PeerIdentity id = PeerAuthenticationHandler.identity(channel.get());
          return res.sendString(Mono.just("pid=" + id.process().orElseThrow().pid() + " exe=" + id.executable().path()));
        }))
        .bindNow();
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.disposeNow();
    }
    if (verifier != null) {
      verifier.close();
    }
  }

  @Test
  void signedCurlIsServedWithItsIdentityInTheRouteAndAnUnsignedCopyRefused() throws Exception {
    Path socket = dir.resolve("reactor.sock");
    Clients.Run whoami = Clients.start(List.of(clients.signedCurl.toString(), "-sS", "--max-time", "30",
        "--unix-socket", socket.toString(), "-w", "\\n%{http_code}", "http://localhost/whoami"));
    assertEquals("pid=" + whoami.pid() + " exe=" + clients.signedCurl + "\n200", whoami.finish());
    assertEquals(1, routed.get());
    assertEquals(Boolean.FALSE, autoRead.get(), "Reactor runs the channel with auto-read off");
    assertTrue(next().isSuccess());

    Clients.Run unsigned = Clients.start(List.of(clients.unsignedCurl.toString(), "-sS", "--max-time", "30",
        "--unix-socket", socket.toString(), "-w", "\\n%{http_code}", "http://localhost/whoami"));
    assertNotEquals(0, unsigned.exitCode(), unsigned.finish());
    PeerAuthenticationEvent denied = next();
    assertFalse(denied.isSuccess());
    assertTrue(String.join("; ", denied.reasons()).contains("signature"), denied.reasons().toString());
    assertEquals(1, routed.get(), "the refused request reached a route");
  }

  private PeerAuthenticationEvent next() throws InterruptedException {
    PeerAuthenticationEvent e = events.poll(30, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no authentication event within 30 s");
    }
    return e;
  }

  /** Records the authentication events, right after the authentication handler. */
  private final class Events extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof PeerAuthenticationEvent e) {
        events.add(e);
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
