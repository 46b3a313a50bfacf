package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Every decision is a dev.peerid.Verdict JFR event and one call of the verdict listener: real
 * peers (a signed and an unsigned copy of a small client), a file through verifyFile, a recording
 * written to disk and read back with RecordingFile.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class VerdictEventsTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private Path signed;
  private Path unsigned;
  /** What the listener heard, and on which thread. */
  private record Heard(Verdict verdict, String thread) {
    long pid() {
      return verdict.identity().flatMap(i -> i.process()).map(p -> p.pid()).orElse(-1L);
    }
  }

  private final List<Heard> heard = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    keys = ImaTestKeys.create(live.dir);
    signed = AttackKit.compile(live.dir, "client", AttackKit.CLIENT_C);
    keys.signSidecar(signed);
    unsigned = AttackKit.compile(live.dir, "unsigned-client", AttackKit.CLIENT_C);
  }

  @AfterEach
  void tearDown() throws Exception {
    live.close();
  }

  private PeerVerifier verifier() throws Exception {
    return PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY))
        .onVerdict(v -> heard.add(new Heard(v, Thread.currentThread().getName())))
        .build();
  }

  @Test
  void eachDecisionIsOneRecordedEventAndOneListenerCall() throws Exception {
    Path jfr = live.dir.resolve("verdicts.jfr");
    LivePeers.Peer first;
    LivePeers.Peer second;
    LivePeers.Peer stranger;
    Verdict fileVerdict;
    try (Recording recording = new Recording(); PeerVerifier verifier = verifier()) {
      recording.enable("dev.peerid.Verdict");
      recording.start();
      first = live.start(command(signed, live.socketPath));
      assertTrue(verifier.verify(PeerHandle.socket(first.fd())).isAllowed());
      second = live.start(command(signed, live.socketPath));
      assertTrue(verifier.verifyAsync(PeerHandle.socket(second.fd())).get(20, TimeUnit.SECONDS).isAllowed());
      stranger = live.start(command(unsigned, live.socketPath));
      assertFalse(verifier.verify(PeerHandle.socket(stranger.fd())).isAllowed());
      fileVerdict = verifier.verifyFile(unsigned);
      recording.stop();
      recording.dump(jfr);
    }
    // a recording is written per thread: the file's order is not the events' order
    List<RecordedEvent> events = RecordingFile.readAllEvents(jfr).stream()
        .filter(e -> e.getEventType().getName().equals("dev.peerid.Verdict"))
        .sorted(Comparator.comparing(RecordedEvent::getStartTime)).toList();
    assertEquals(4, events.size(), events.toString());

    RecordedEvent allowed = events.get(0);
    assertEquals("allow", allowed.getString("decision"));
    assertEquals("peer", allowed.getString("subject"));
    assertEquals(first.pid(), allowed.getLong("pid"));
    assertEquals(Tools.uid(), allowed.getLong("uid"));
    assertEquals(signed.toString(), allowed.getString("executable"));
    assertEquals("ima", allowed.getString("format"));
    assertEquals("valid", allowed.getString("status"));
    assertEquals("vendor", allowed.getString("signer"));
    assertFalse(allowed.getBoolean("cacheHit"), "the first peer's file was verified");
    assertTrue(allowed.getDuration().toNanos() > 0, "a decision takes time");

    RecordedEvent cached = events.get(1);
    assertEquals(second.pid(), cached.getLong("pid"));
    assertTrue(cached.getBoolean("cacheHit"), "the second peer runs the same file");

    RecordedEvent denied = events.get(2);
    assertEquals("deny", denied.getString("decision"));
    assertEquals(stranger.pid(), denied.getLong("pid"));
    assertEquals("unsigned", denied.getString("status"));
    assertFalse(denied.getString("reasons").isBlank(), "a denial says why");

    RecordedEvent file = events.get(3);
    assertEquals("file", file.getString("subject"));
    assertEquals(-1, file.getLong("pid"));
    assertEquals(unsigned.toString(), file.getString("executable"));
    assertEquals(String.join("; ", fileVerdict.reasons()), file.getString("reasons"));

    // the verifier was closed: every queued verdict reached the listener, once
    assertEquals(4, heard.size(), heard.toString());
    String testThread = Thread.currentThread().getName();
    assertEquals(List.of(testThread), threadsHeard(first.pid()), "blocking verify: on the caller's thread");
    assertEquals(List.of("peerid-verdict-listener"), threadsHeard(second.pid()), "async: on peerid's thread");
    assertNotEquals(testThread, threadsHeard(second.pid()).get(0));
    assertEquals(List.of(testThread), threadsHeard(stranger.pid()));
    assertEquals(1, heard.stream().filter(h -> h.verdict() == fileVerdict).count(), "verifyFile's verdict");
  }

  private List<String> threadsHeard(long pid) {
    return heard.stream().filter(h -> h.pid() == pid).map(Heard::thread).toList();
  }

  @Test
  void withoutARecordingNothingIsRecordedButTheListenerStillHears() throws Exception {
    Path jfr = live.dir.resolve("other.jfr");
    try (Recording other = new Recording(); PeerVerifier verifier = verifier()) {
      other.enable("jdk.JavaMonitorEnter");
      other.disable("dev.peerid.Verdict");
      other.start();
      LivePeers.Peer peer = live.start(command(signed, live.socketPath));
      assertTrue(verifier.verify(PeerHandle.socket(peer.fd())).isAllowed());
      other.stop();
      other.dump(jfr);
    }
    assertTrue(Files.size(jfr) > 0);
    assertTrue(RecordingFile.readAllEvents(jfr).stream()
        .noneMatch(e -> e.getEventType().getName().equals("dev.peerid.Verdict")));
    assertEquals(1, heard.size());
  }

  @Test
  void aListenerThatThrowsDoesNotChangeTheDecision() throws Exception {
    try (PeerVerifier verifier = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY))
        .onVerdict(v -> {
          throw new IllegalStateException("audit log is full");
        })
        .build()) {
      LivePeers.Peer peer = live.start(command(signed, live.socketPath));
      assertTrue(verifier.verify(PeerHandle.socket(peer.fd())).isAllowed());
      LivePeers.Peer stranger = live.start(command(unsigned, live.socketPath));
      assertFalse(verifier.verifyAsync(PeerHandle.socket(stranger.fd())).get(20, TimeUnit.SECONDS).isAllowed());
    }
  }
}
