package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Platform;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.linux.LinuxPeerBackend;
import dev.peerid.netty.AuthServer.Outcome;
import dev.peerid.netty.AuthServer.Transport;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The handler in real servers (epoll, and NIO over junixsocket) with real client processes: a
 * copy of curl signed with evmctl, an unsigned copy, and python3 (an interpreter).
 */
class PeerAuthenticationHandlerTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private Path socket;
  private Path python;
  private ExecutorService pool;
  private final CountDownLatch gate = new CountDownLatch(1);
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    python = Tools.tool("python3");
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

  private PeerVerifier verifier(boolean gated) throws Exception {
    PeerVerifier.Builder b = PeerVerifier.builder()
        .trustStore(clients.trustStore())
        .policy(Policy.parse("signed by \"vendor\""));
    if (gated) {
      // a real executor whose tasks wait until the test opens the gate: verification "takes" that long
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
    return v;
  }

  private AuthServer server(Transport t, PeerVerifier v, Consumer<PeerAuthentication.Builder> options)
      throws Exception {
    PeerAuthentication.Builder b = PeerAuthentication.builder(v);
    options.accept(b);
    AuthServer s = AuthServer.start(t, socket, b.build());
    closeAfter.add(s);
    return s;
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void allowsTheSignedClientAndRemovesItself(Transport t) throws Exception {
    AuthServer server = server(t, verifier(false), b -> {});
    Clients.Run curl = Clients.curl(clients.signedCurl, socket);
    assertEquals("allowed pid=" + curl.pid() + "\n200", curl.finish());
    Outcome o = server.next();
    assertTrue(o.event().isSuccess(), o.event().toString());
    PeerIdentity id = o.event().identity().orElseThrow();
    assertEquals(curl.pid(), id.process().orElseThrow().pid());
    assertEquals(SignatureStatus.VALID, id.signature().status());
    assertEquals("vendor", id.signature().signer().orElseThrow().trustName().orElseThrow());
    assertEquals(id, PeerAuthenticationHandler.identity(o.channel()));
    assertNull(o.channel().pipeline().get(PeerAuthenticationHandler.class), "the handler leaves once decided");
    assertEquals(0, server.earlyReads.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deniesAnUnsignedCopyAndClosesTheChannel(Transport t) throws Exception {
    AuthServer server = server(t, verifier(false), b -> {});
    Clients.Run curl = Clients.curl(clients.unsignedCurl, socket);
    assertNotEquals(0, curl.exitCode(), curl.finish());
    assertFalse(curl.finish().contains("allowed"), curl.finish());
    Outcome o = server.next();
    assertFalse(o.event().isSuccess());
    assertFalse(o.event().reasons().isEmpty());
    assertEquals(curl.pid(), o.event().identity().orElseThrow().process().orElseThrow().pid());
    assertTrue(o.channel().closeFuture().await(10, TimeUnit.SECONDS));
    assertNull(PeerAuthenticationHandler.identity(o.channel()));
    assertEquals(0, server.earlyReads.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void deniesAnInterpreterAndNoByteReachesThePipeline(Transport t) throws Exception {
    AuthServer server = server(t, verifier(false), b -> {});
    Clients.Run py = Clients.python(python, socket, "send");
    assertEquals("b''", py.finish().strip());
    Outcome o = server.next();
    assertFalse(o.event().isSuccess());
    assertTrue(String.join(" ", o.event().reasons()).contains("interpreter"), o.event().reasons().toString());
    assertEquals(0, server.earlyReads.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void responderWritesARefusalBeforeClosing(Transport t) throws Exception {
    server(t, verifier(false), b -> b.responder(DenialResponder.text(e -> {
      String body = "denied: " + String.join("; ", e.reasons());
      return "HTTP/1.1 403 Forbidden\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body;
    })));
    Clients.Run curl = Clients.curl(clients.unsignedCurl, socket);
    String out = curl.finish();
    assertTrue(out.startsWith("denied: ") && out.endsWith("\n403"), out);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void heldBytesOfAHalfClosedPeerNeverReachThePipeline(Transport t) throws Exception {
    AuthServer server = server(t, verifier(true), b -> {});
    Clients.Run py = Clients.python(python, socket, "halfclose");
    // give the transport every chance to read the half-closed peer's bytes while the verdict is
    // pending (epoll reads them, sees the half-close and closes: the peer is then denied as gone)
    Thread.sleep(500);
    assertEquals(0, server.earlyReads.get());
    gate.countDown();
    Outcome o = server.next();
    assertFalse(o.event().isSuccess());
    assertEquals("b''", py.finish().strip());
    assertEquals(0, server.earlyReads.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void pastTheLimitANewPeerIsDeniedAsBusy(Transport t) throws Exception {
    PeerVerifier v = verifier(true);
    PeerAuthentication a = PeerAuthentication.builder(v).maxPending(1).timeout(Duration.ofSeconds(30)).build();
    AuthServer server = AuthServer.start(t, socket, a);
    closeAfter.add(server);
    Clients.Run first = Clients.curl(clients.signedCurl, socket);
    waitFor(() -> a.pending() == 1);
    Clients.Run second = Clients.curl(clients.signedCurl, socket);
    Outcome busy = server.next();
    assertFalse(busy.event().isSuccess());
    assertTrue(busy.event().reasons().get(0).startsWith("busy"), busy.event().reasons().toString());
    assertNotEquals(0, second.exitCode());
    gate.countDown();
    Outcome allowed = server.next();
    assertTrue(allowed.event().isSuccess(), allowed.event().toString());
    assertEquals("allowed pid=" + first.pid() + "\n200", first.finish());
    waitFor(() -> a.pending() == 0);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aSlowVerificationIsDeniedAtTheTimeout(Transport t) throws Exception {
    PeerVerifier v = verifier(true);
    PeerAuthentication a = PeerAuthentication.builder(v).timeout(Duration.ofMillis(300)).build();
    AuthServer server = AuthServer.start(t, socket, a);
    closeAfter.add(server);
    Clients.Run curl = Clients.curl(clients.signedCurl, socket);
    Outcome o = server.next();
    assertFalse(o.event().isSuccess());
    assertTrue(o.event().reasons().get(0).contains("longer than 300 ms"), o.event().reasons().toString());
    assertNotEquals(0, curl.exitCode());
    assertEquals(0, a.pending(), "a timed-out verification frees its slot");
    gate.countDown();
    assertTrue(server.outcomes.poll(300, TimeUnit.MILLISECONDS) == null, "exactly one event per channel");
    assertEquals(0, server.doubleEvents.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aPeerLeavingMidVerificationIsDeniedAndCleanedUp(Transport t) throws Exception {
    PeerVerifier v = verifier(true);
    PeerAuthentication a = PeerAuthentication.builder(v).timeout(Duration.ofSeconds(30)).build();
    AuthServer server = AuthServer.start(t, socket, a);
    closeAfter.add(server);
    Clients.Run py = Clients.python(python, socket, "leave");
    waitFor(() -> a.pending() == 1);
    py.process.getOutputStream().write('\n');
    py.process.getOutputStream().flush();
    assertEquals(0, py.exitCode(), py.finish());
    gate.countDown();
    Outcome o = server.next();
    assertFalse(o.event().isSuccess());
    assertTrue(o.channel().closeFuture().await(10, TimeUnit.SECONDS));
    waitFor(() -> a.pending() == 0);
    assertEquals(0, server.doubleEvents.get());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void revalidatesEveryMessageWhenAsked(Transport t) throws Exception {
    AuthServer server = server(t, verifier(false), PeerAuthentication.Builder::revalidateEveryMessage);
    Clients.Run curl = Clients.curl(clients.signedCurl, socket);
    assertEquals("allowed pid=" + curl.pid() + "\n200", curl.finish());
    Outcome o = server.next();
    assertTrue(o.event().isSuccess());
    assertTrue(o.channel().closeFuture().await(10, TimeUnit.SECONDS));
    // the client has exited: the pinned process is gone, so re-validation must now fail
    assertThrowsVerification(() -> PeerAuthenticationHandler.revalidate(o.channel()));
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void aThousandConcurrentConnectionsGetTheRightVerdictAndLeakNoDescriptor(Transport t) throws Exception {
    PeerVerifier v = verifier(false);
    // one uid, 250 connections per process held open at once: per-peer limits far above that
    PeerAuthentication a = PeerAuthentication.builder(v).maxPending(4096).timeout(Duration.ofSeconds(30))
        .maxConnectionsPerUid(4096).maxConnectionsPerProcess(4096).maxPendingPerUid(4096).build();
    // warm up class loading, native libraries and the verifier cache, then count descriptors
    try (AuthServer warm = AuthServer.start(t, socket, a)) {
      Clients.curl(clients.signedCurl, socket).finish();
      Clients.curl(clients.unsignedCurl, socket).finish();
    }
    java.nio.file.Files.deleteIfExists(socket);
    // the backend keeps a descriptor per recently seen process (bounded): count without them
    v.backend().close();
    int fdsBefore = Tools.openFds();
    int perClient = 250;
    Map<Long, Boolean> expected = new HashMap<>();
    List<Clients.Run> runs = new ArrayList<>();
    try (AuthServer server = AuthServer.start(t, socket, a)) {
      server.holdResponsesUntil(2 * perClient);
      for (int i = 0; i < 4; i++) {
        boolean signed = i % 2 == 0;
        Clients.Run r = Clients.curlParallel(signed ? clients.signedCurl : clients.unsignedCurl, socket, perClient);
        expected.put(r.pid(), signed);
        runs.add(r);
      }
      int allowed = 0;
      int denied = 0;
      for (int i = 0; i < 4 * perClient; i++) {
        Outcome o = server.next();
        long pid = o.event().identity().orElseThrow(() -> new AssertionError(o.event().toString()))
            .process().orElseThrow().pid();
        Boolean shouldAllow = expected.get(pid);
        assertEquals(shouldAllow, o.event().isSuccess(), "wrong verdict for pid " + pid + ": " + o.event());
        if (o.event().isSuccess()) {
          allowed++;
        } else {
          denied++;
        }
      }
      assertEquals(2 * perClient, allowed);
      assertEquals(2 * perClient, denied);
      for (Clients.Run r : runs) {
        String out = r.finish();
        long ok = out.lines().filter("200"::equals).count();
        assertEquals(expected.get(r.pid()) ? perClient : 0, ok, out);
      }
      assertEquals(0, server.earlyReads.get());
      assertEquals(0, server.doubleEvents.get());
      assertTrue(server.outcomes.isEmpty());
    }
    waitFor(() -> a.pending() == 0);
    int[] after = new int[1];
    v.backend().close();
    waitFor(() -> {
      after[0] = Tools.openFds();
      return after[0] <= fdsBefore;
    });
    assertEquals(fdsBefore, after[0], "file descriptors before and after");
  }

  /**
   * Identifying a process the backend does not know (on Linux: its /proc files, the tracer of every
   * thread) never runs on an event loop; only the cheap try for a known process does.
   */
  @ParameterizedTest
  @EnumSource(Transport.class)
  void identifiesAProcessItDoesNotKnowOffTheEventLoop(Transport t) throws Exception {
    // a long reuse window, so that a loaded machine cannot make the later connections look new
    PeerBackend real = LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ofSeconds(10)).build();
    List<String> fullAttachThreads = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> cheapTryThreads = java.util.Collections.synchronizedList(new ArrayList<>());
    PeerBackend recording = new PeerBackend() {
      @Override
      public Platform platform() {
        return real.platform();
      }

      @Override
      public boolean isSupported() {
        return real.isSupported();
      }

      @Override
      public Optional<Throwable> unavailabilityCause() {
        return real.unavailabilityCause();
      }

      @Override
      public boolean accepts(PeerHandle handle) {
        return real.accepts(handle);
      }

      @Override
      public PeerProcess attach(PeerHandle handle) throws PeerIdentificationException {
        fullAttachThreads.add(Thread.currentThread().getName());
        return real.attach(handle);
      }

      @Override
      public Optional<PeerProcess> attachIfKnown(PeerHandle handle) throws PeerIdentificationException {
        cheapTryThreads.add(Thread.currentThread().getName());
        return real.attachIfKnown(handle);
      }
    };
    PeerVerifier v = PeerVerifier.builder().trustStore(clients.trustStore()).policy(Policy.parse("signed by \"vendor\""))
        .backend(recording).build();
    closeAfter.add(v);
    closeAfter.add(real);
    AuthServer server = server(t, v, b -> {});
    int n = 5;
    // one curl process, one request after the other: a new connection each (the server closes)
    String[] more = new String[n - 1];
    java.util.Arrays.fill(more, "http://localhost/");
    Clients.Run curl = Clients.curl(clients.signedCurl, socket, more);
    for (int i = 0; i < n; i++) {
      Outcome o = server.next();
      assertTrue(o.event().isSuccess(), o.event().toString());
    }
    String out = curl.finish();
    assertEquals(n, out.split("allowed pid=" + curl.pid(), -1).length - 1, out);
    assertEquals(n, cheapTryThreads.size(), "every connection first tries the cheap way");
    assertTrue(cheapTryThreads.stream().allMatch(name -> !name.startsWith("peerid-verify-")),
        "the cheap try runs where the connection is accepted: " + cheapTryThreads);
    assertEquals(1, fullAttachThreads.size(), "one curl process: read in full for its first connection only");
    assertTrue(fullAttachThreads.stream().allMatch(name -> name.startsWith("peerid-verify-")),
        "full identification runs on the verifier's executor only: " + fullAttachThreads);
  }

  private static void assertThrowsVerification(org.junit.jupiter.api.function.Executable e) {
    org.junit.jupiter.api.Assertions.assertThrows(dev.peerid.PeerVerificationException.class, e);
  }

  interface Condition {
    boolean met() throws Exception;
  }

  static void waitFor(Condition c) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!c.met()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(10);
    }
  }
}
