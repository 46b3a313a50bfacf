package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.netty.HostileClients;
import dev.peerid.netty.SignedClients;
import dev.peerid.netty.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four ways an allowed but hostile client (signed by the vendor, run as nobody) could take the
 * broker down for everyone else, each against a real broker process with its default limits: while
 * the attack runs, a second client (another uid) is still served within 10 s, the broker's heap (after a full GC)
 * and its memory outside the heap stay bounded, and once the attacker is gone its descriptors are
 * back to what they were.
 */
class BrokerAttackTest {
  /** Heap the idle broker uses (a few MiB) plus what the defaults let it store (32 MiB), with room. */
  private static final long HEAP_BOUND_MB = 56;
  /** Memory outside the heap an attack may add (Netty's buffers): far below what the attacks cost unbounded. */
  private static final long OFF_HEAP_BOUND_MB = 40;
  /**
   * How long the second client may wait during an attack: room for a loaded machine, and well below
   * what the attacks cost the broker before it was bounded (no answer at all, or a stall of 20 s).
   */
  private static final int SERVED_WITHIN_S = 10;

  @TempDir
  Path dir;

  private SignedClients clients;
  private Path hostile;
  private Path socket;
  private BrokerProcess broker;

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    HostileClients.requireNobody();
    clients = SignedClients.make(dir);
    hostile = HostileClients.build(dir, clients);
    HostileClients.openUp(clients.signedCurl);
    socket = dir.resolve("broker.sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  private void startBroker(int maxFds, String... options) throws Exception {
    broker = BrokerProcess.start(socket, clients.certificate, maxFds, options);
    // warm up (class loading, the first verification of curl) before the baseline is taken; a
    // loaded machine may take a while for this first one
    Reply first = honest("GET", "/whoami", null, 60);
    assertEquals("200", first.status(), "the broker serves the honest client before any attack: " + first);
  }

  record Reply(String status, double seconds, String body) {}

  /** One request from the honest client: the signed curl, run as root (another uid than the attacker). */
  private Reply honest(String method, String path, Path body) throws Exception {
    return honest(method, path, body, SERVED_WITHIN_S);
  }

  private Reply honest(String method, String path, Path body, int maxSeconds) throws Exception {
    List<String> c = new ArrayList<>(List.of(clients.signedCurl.toString(), "-s", "--max-time", "" + maxSeconds,
        "--unix-socket", socket.toString(), "-X", method, "-w", "\n%{http_code} %{time_total}"));
    if (body != null) {
      c.addAll(List.of("--data-binary", "@" + body));
    }
    c.add("http://broker" + path);
    String out = Tools.runAnyExit(c);
    int nl = out.lastIndexOf('\n');
    String[] last = out.substring(nl + 1).strip().split(" ");
    return new Reply(last[0], Double.parseDouble(last[1]), out.substring(0, Math.max(nl, 0)));
  }

  /** The attacker's signed curl, as nobody, on {@code urls} (curl's globbing); the count of each status. */
  private Map<String, Integer> attackerCurl(Path body, String urls) throws Exception {
    List<String> c = new ArrayList<>(List.of(clients.signedCurl.toString(), "-s", "--max-time", "120",
        "--unix-socket", socket.toString(), "-o", "/dev/null", "-w", "%{http_code}\n"));
    if (body != null) {
      c.addAll(List.of("--data-binary", "@" + body));
    }
    c.add(urls);
    Map<String, Integer> counts = new TreeMap<>();
    for (String l : Tools.runAnyExit(HostileClients.asNobody(c)).split("\n")) {
      if (!l.isBlank()) {
        counts.merge(l.strip(), 1, Integer::sum);
      }
    }
    return counts;
  }

  private void assertServedMeanwhile() throws Exception {
    Thread.sleep(1000); // the attacker is verified first (a new process: read on the verifier's executor)
    Reply r = honest("GET", "/whoami", null);
    System.out.println("honest client during the attack: " + r.status() + " in " + r.seconds() + " s");
    assertEquals("200", r.status(), "the second client is served during the attack: " + r);
    assertTrue(r.body().contains("\"decision\":\"allow\""), r.body());
  }

  private void assertBounded(String what, long rssBefore) throws Exception {
    assertTrue(broker.alive(), "the broker survived " + what);
    long heap = broker.heapUsedMb();
    long offHeap = broker.rssMb() - rssBefore;
    System.out.println(what + ": live heap " + heap + " MiB, resident memory " + (offHeap >= 0 ? "+" : "") + offHeap
        + " MiB");
    assertTrue(heap <= HEAP_BOUND_MB, what + ": live heap " + heap + " MiB > " + HEAP_BOUND_MB);
    assertTrue(offHeap <= OFF_HEAP_BOUND_MB, what + ": resident memory grew by " + offHeap + " MiB > "
        + OFF_HEAP_BOUND_MB);
  }

  private void assertDescriptorsBackTo(int baseline) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int now = broker.fds();
    while (now > baseline && System.nanoTime() < end) {
      Thread.sleep(50);
      now = broker.fds();
    }
    assertTrue(now <= baseline, "the broker's descriptors once the attacker is gone: " + now + ", before: " + baseline);
  }

  private Path file(String name, byte[] content) throws Exception {
    Path f = dir.resolve(name);
    Files.write(f, content);
    HostileClients.openUp(f);
    return f;
  }

  /** Thousands of idle connections from one allowed process (the broker may hold 1024 descriptors). */
  @Test
  void aConnectionFloodDoesNotLockOutAnotherUid() throws Exception {
    startBroker(1024);
    int fds = broker.fds();
    long rss = broker.rssMb();
    try (HostileClients.Run flood = HostileClients.hold(hostile, socket, 2000)) {
      flood.awaitReady();
      assertServedMeanwhile();
      int held = flood.openConnections();
      assertTrue(held <= 256, "the attacker keeps at most the per-uid limit open, holds " + held);
      assertBounded("a connection flood", rss);
    }
    assertDescriptorsBackTo(fds);
  }

  /** Thousands of pipelined GETs of a large topic, never reading a reply. */
  @Test
  void pipelinedRequestsThatAreNeverReadDoNotPileUpReplies() throws Exception {
    startBroker(0);
    byte[] body = "x".repeat(16 * 1024 - 1).getBytes(StandardCharsets.US_ASCII);
    Map<String, Integer> posted = attackerCurl(file("big.txt", body), "http://broker/topics/big?n=[1-64]");
    assertTrue(posted.getOrDefault("201", 0) > 0, posted.toString());
    int fds = broker.fds();
    long rss = broker.rssMb();
    String get = "GET /topics/big HTTP/1.1\r\nHost: broker\r\n\r\n";
    try (HostileClients.Run pipeline = HostileClients.pipeline(hostile, socket, 5000, get)) {
      pipeline.awaitReady();
      assertServedMeanwhile();
      assertBounded("pipelined requests never read", rss);
    }
    assertDescriptorsBackTo(fds);
  }

  /** Non-ASCII bodies to many topics: what the broker stores is bounded in bytes it really holds. */
  @Test
  void storedBytesAreBoundedAndPastTheBudgetTheBrokerAnswers507() throws Exception {
    startBroker(0);
    int fds = broker.fds();
    long rss = broker.rssMb();
    // one non-Latin-1 character makes a Java string of this body twice its UTF-8 size
    byte[] body = ("\u20ac" + "a".repeat(16 * 1024 - 4)).getBytes(StandardCharsets.UTF_8);
    Map<String, Integer> posted = attackerCurl(file("euro.txt", body), "http://broker/topics/t[1-40]?n=[1-80]");
    assertTrue(posted.getOrDefault("507", 0) > 0, "past the budget the broker answers 507: " + posted);
    assertServedMeanwhile();
    assertEquals("200", honest("GET", "/topics/t1", null).status());
    assertBounded("stored bytes", rss);
    assertDescriptorsBackTo(fds);
  }

  /** A topic of control characters (6 bytes of JSON each) read with pipelined GETs. */
  @Test
  void aTopicOfControlCharactersDoesNotStallTheEventLoop() throws Exception {
    startBroker(0);
    byte[] body = new byte[16 * 1024 - 1];
    java.util.Arrays.fill(body, (byte) 1);
    Map<String, Integer> posted = attackerCurl(file("ctl.txt", body), "http://broker/topics/ctl?n=[1-100]");
    assertTrue(posted.getOrDefault("201", 0) > 0, posted.toString());
    int fds = broker.fds();
    long rss = broker.rssMb();
    String get = "GET /topics/ctl HTTP/1.1\r\nHost: broker\r\n\r\n";
    try (HostileClients.Run pipeline = HostileClients.pipeline(hostile, socket, 40, get)) {
      pipeline.awaitReady();
      assertServedMeanwhile();
      assertBounded("a topic of control characters", rss);
    }
    assertDescriptorsBackTo(fds);
  }

  /** A request that never ends (slowloris) is cut at the header timeout, an idle connection at the idle timeout. */
  @Test
  void aRequestThatNeverEndsAndAnIdleConnectionAreClosed() throws Exception {
    startBroker(0, "--header-timeout", "500ms", "--idle-timeout", "1500ms");
    int fds = broker.fds();
    try (HostileClients.Run partial = HostileClients.pipeline(hostile, socket, 1, "GET /whoami HTTP/1.1\r\nHost: b");
        HostileClients.Run idle = HostileClients.hold(hostile, socket, 3)) {
      partial.awaitReady();
      idle.awaitReady();
      Thread.sleep(1000);
      assertEquals(0, partial.openConnections(), "cut 500 ms after its first byte");
      assertEquals(3, idle.openConnections(), "not idle for 1.5 s yet");
      assertServedMeanwhile();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (idle.openConnections() > 0 && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      assertEquals(0, idle.openConnections(), "closed once idle for 1.5 s");
    }
    assertDescriptorsBackTo(fds);
  }
}
