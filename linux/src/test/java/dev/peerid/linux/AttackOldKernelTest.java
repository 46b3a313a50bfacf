package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The same attacks on a kernel without SO_PEERPIDFD (before 6.5), where the peer is pinned by its
 * start time: the real libc, except that SO_PEERPIDFD answers ENOPROTOOPT as an old kernel does.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackOldKernelTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path client;

  @BeforeEach
  void setUp() throws Exception {
    live = AttackKit.openLive();
    keys = ImaTestKeys.create(live.dir);
    verifier = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY))
        .backend(new LinuxPeerBackend(new KernelWithoutPeerPidfd(new JnaLinuxLibc())))
        .build();
    client = AttackKit.signedClient(live, keys);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  @Test
  void signedPeerIsPinnedByStartTimeAndAllowed() throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath)));
    AttackKit.firstLine(peer);
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertTrue(v.isAllowed(), v.toString());
    assertTrue(v.identity().orElseThrow().process().orElseThrow().raceToken().startsWith("starttime:"), v.toString());
  }

  @Test
  void peerThatLeftItsConnectionToAChildAndExitedIsDenied() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff-exit", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    peer.process.waitFor();
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains("exited"), v.reasons().toString());
  }

  @Test
  void revalidationNoticesTheVerifiedPeerLeaving() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    AttackKit.firstLine(peer);
    try (PeerSession session = verifier.open(PeerHandle.socket(peer.fd()))) {
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      peer.kill();
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, session::revalidate);
      assertTrue(e.getMessage().contains("exited") || e.getMessage().contains("pid reused"), e.getMessage());
    }
  }
}
