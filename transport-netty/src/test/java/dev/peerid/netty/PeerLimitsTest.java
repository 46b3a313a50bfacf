package dev.peerid.netty;

import static dev.peerid.netty.PeerAuthenticationHandlerTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.netty.AuthServer.Outcome;
import dev.peerid.netty.AuthServer.Transport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Per-peer limits with real processes: a hostile but allowed client (signed, run as nobody) opens
 * many connections at once, non-blocking, so the server verifies them concurrently; the honest
 * client (root) is still served, the limits hold exactly, and every count is back to zero once the
 * hostile client is gone.
 */
class PeerLimitsTest {
  private static final long ROOT = 0;
  private static final long NOBODY = HostileClients.NOBODY;

  @TempDir
  Path dir;

  private SignedClients clients;
  private Path hostile;
  private Path socket;
  private ExecutorService pool;
  private final CountDownLatch gate = new CountDownLatch(1);
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    HostileClients.requireNobody();
    clients = SignedClients.make(dir);
    hostile = HostileClients.build(dir, clients);
    socket = dir.resolve("s.sock");
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private PeerAuthentication auth(boolean gated, Consumer<PeerAuthentication.Builder> options) throws Exception {
    PeerVerifier.Builder b = PeerVerifier.builder().trustStore(clients.trustStore())
        .policy(Policy.parse("signed by \"vendor\""));
    if (gated) {
      // a real executor whose tasks wait until the test opens the gate: verifications stay pending
      b.executor(task -> pool.execute(() -> {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        task.run();
      }));
    }
    PeerVerifier v = b.build();
    closeAfter.add(v);
    PeerAuthentication.Builder a = PeerAuthentication.builder(v).maxPending(4096).timeout(Duration.ofSeconds(30));
    options.accept(a);
    return a.build();
  }

  private AuthServer server(Transport t, PeerAuthentication auth) throws Exception {
    AuthServer s = AuthServer.start(t, socket, auth);
    closeAfter.add(s);
    HostileClients.openUp(socket);
    return s;
  }

  private HostileClients.Run hold(int n) throws Exception {
    HostileClients.Run r = HostileClients.hold(hostile, socket, n);
    closeAfter.add(r);
    r.awaitReady();
    return r;
  }

  /** Takes {@code n} events; returns the denials. */
  private static List<PeerAuthenticationEvent> events(AuthServer server, int n) throws Exception {
    List<PeerAuthenticationEvent> denied = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = server.next();
      if (!o.event().isSuccess()) {
        denied.add(o.event());
      }
    }
    return denied;
  }

  private void assertHonestClientServed() throws Exception {
    Clients.Run curl = Clients.curl(clients.signedCurl, socket);
    assertEquals("allowed pid=" + curl.pid() + "\n200", curl.finish());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aFloodFromOneUidKeepsExactlyItsLimitAndDoesNotStopAnotherUid(Transport t) throws Exception {
    PeerAuthentication auth = auth(false, a -> a.maxConnectionsPerUid(20).maxConnectionsPerProcess(1000)
        .maxPendingPerUid(1000));
    AuthServer server = server(t, auth);
    int n = 200;
    HostileClients.Run flood = hold(n);
    List<PeerAuthenticationEvent> denied = events(server, n);
    assertEquals(n - 20, denied.size());
    for (PeerAuthenticationEvent e : denied) {
      assertEquals(List.of("too many connections from uid 65534 (limit 20)"), e.reasons());
      assertEquals(ConnectionLimit.CONNECTIONS_PER_UID, e.limit().orElseThrow());
      assertEquals(NOBODY, e.identity().orElseThrow().process().orElseThrow().uid(), "the verified identity");
    }
    assertEquals(n - 20, auth.refused(ConnectionLimit.CONNECTIONS_PER_UID));
    assertEquals(20, auth.connectionsOfUid(NOBODY));
    waitFor(() -> flood.openConnections() == 20);
    assertHonestClientServed();
    assertTrue(server.next().event().isSuccess());
    assertEquals(0, auth.refused(ConnectionLimit.PENDING) + auth.refused(ConnectionLimit.PENDING_PER_UID)
        + auth.refused(ConnectionLimit.CONNECTIONS_PER_PROCESS));
    flood.close();
    waitFor(() -> auth.connections() == 0 && auth.pending() == 0);
    assertEquals(0, auth.connectionsOfUid(NOBODY));
    assertEquals(0, auth.connectionsOfUid(ROOT));
    assertEquals(0, auth.limits().pendingCounted());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void eachProcessKeepsExactlyItsLimit(Transport t) throws Exception {
    PeerAuthentication auth = auth(false, a -> a.maxConnectionsPerProcess(10).maxPendingPerUid(1000));
    AuthServer server = server(t, auth);
    HostileClients.Run first = hold(30);
    HostileClients.Run second = hold(30);
    List<PeerAuthenticationEvent> denied = events(server, 60);
    assertEquals(40, denied.size());
    for (PeerAuthenticationEvent e : denied) {
      long pid = e.identity().orElseThrow().process().orElseThrow().pid();
      assertEquals(List.of("too many connections from process " + pid + " (limit 10)"), e.reasons());
      assertEquals(ConnectionLimit.CONNECTIONS_PER_PROCESS, e.limit().orElseThrow());
    }
    assertEquals(40, auth.refused(ConnectionLimit.CONNECTIONS_PER_PROCESS));
    assertEquals(20, auth.connectionsOfUid(NOBODY));
    waitFor(() -> first.openConnections() == 10 && second.openConnections() == 10);
    first.close();
    second.close();
    waitFor(() -> auth.connections() == 0);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void oneUidCannotTakeEveryPlaceWaitingForAVerdict(Transport t) throws Exception {
    PeerAuthentication auth = auth(true, a -> a.maxPending(64).maxPendingPerUid(5));
    AuthServer server = server(t, auth);
    HostileClients.Run flood = hold(40);
    List<PeerAuthenticationEvent> denied = events(server, 35);
    assertEquals(35, denied.size());
    for (PeerAuthenticationEvent e : denied) {
      assertEquals(List.of("too many connections from uid 65534 waiting for a verdict (limit 5)"), e.reasons());
      assertEquals(ConnectionLimit.PENDING_PER_UID, e.limit().orElseThrow());
    }
    assertEquals(5, auth.pendingOfUid(NOBODY));
    assertEquals(5, auth.pending());
    // another uid still gets a place, and its verdict once verifications go on
    Clients.Run curl = Clients.curl(clients.signedCurl, socket);
    waitFor(() -> auth.pendingOfUid(ROOT) == 1);
    gate.countDown();
    assertEquals("allowed pid=" + curl.pid() + "\n200", curl.finish());
    assertTrue(events(server, 6).isEmpty(), "the five waiting hostile connections and the honest one are allowed");
    assertEquals(35, auth.refused(ConnectionLimit.PENDING_PER_UID));
    waitFor(() -> auth.limits().pendingCounted() == 0 && auth.pending() == 0);
    assertEquals(5, flood.openConnections());
    flood.close();
    waitFor(() -> auth.connections() == 0);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void anIdleVerifiedConnectionIsClosed(Transport t) throws Exception {
    PeerAuthentication auth = auth(false, a -> a.idleTimeout(Duration.ofMillis(500)));
    AuthServer server = server(t, auth);
    HostileClients.Run idle = hold(3);
    assertTrue(events(server, 3).isEmpty());
    assertEquals(3, auth.connectionsOfUid(NOBODY));
    waitFor(() -> idle.openConnections() == 0);
    waitFor(() -> auth.connections() == 0);
    assertHonestClientServed();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void withoutPerPeerLimitsNothingIsCounted(Transport t) throws Exception {
    PeerAuthentication auth = auth(false, a -> a.maxConnectionsPerUid(1).withoutPerPeerLimits());
    AuthServer server = server(t, auth);
    HostileClients.Run flood = hold(10);
    assertTrue(events(server, 10).isEmpty());
    assertEquals(0, auth.connections());
    assertFalse(auth.limitsPerPeer());
    assertEquals(10, flood.openConnections());
  }
}
