package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerIdentity;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Platform;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * End to end: {@link PeerVerifier} with a real policy, the IMA verifier and this backend (both found
 * by ServiceLoader), against real child processes on a real Unix socket.
 */
@EnabledOnOs(OS.LINUX)
class PeerVerifierLiveTest {
  private static final String POLICY = "signed by \"live-test\"";
  private static Path curl;
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;

  @BeforeAll
  static void tools() {
    curl = Tools.require("curl");
  }

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    keys = ImaTestKeys.create(live.dir);
    verifier = verifier(POLICY, null);
  }

  private PeerVerifier verifier(String policy, Executor executor) throws Exception {
    PeerVerifier.Builder b = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("live-test", keys.certPem).build())
        .policy(Policy.parse(policy));
    if (executor != null) {
      b.executor(executor);
    }
    return b.build();
  }

  @AfterEach
  void tearDown() throws IOException {
    verifier.close();
    live.close();
  }

  private Path signedCurl(String name) throws Exception {
    Path client = live.copy(curl, name);
    keys.sign(client);
    return client;
  }

  @Test
  void signedClientIsAllowedAndTheCacheServesTheNextPeer() throws Exception {
    assertTrue(verifier.backend() instanceof LinuxPeerBackend, "found by ServiceLoader: " + verifier.backend());
    Path client = signedCurl("vendor-client");
    LivePeers.Peer first = live.start(live.curl(client));
    PeerIdentity id = verifier.authenticate(PeerHandle.socket(first.fd()));
    assertEquals(Platform.LINUX, id.platform());
    assertEquals(first.pid(), id.process().orElseThrow().pid());
    assertEquals("pidfd", id.process().orElseThrow().raceToken());
    assertEquals(client.toString(), id.executable().path());
    assertEquals(SignatureStatus.VALID, id.signature().status());
    assertEquals(1, verifier.cachedFiles());

    LivePeers.Peer second = live.start(live.curl(client));
    Verdict v = verifier.verify(LinuxPeers.of(second.socket));
    assertTrue(v.isAllowed(), v.toString());
    assertEquals(second.pid(), v.identity().orElseThrow().process().orElseThrow().pid());
    assertEquals(1, verifier.cachedFiles(), "the same file is verified once");
  }

  @Test
  void unsignedClientIsDeniedWithAReason() throws Exception {
    LivePeers.Peer peer = live.start(live.curl(live.copy(curl, "unsigned-client")));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
    assertFalse(v.reasons().isEmpty());
  }

  @Test
  void signedPythonRunningInlineCodeIsDeniedAsAnInterpreter() throws Exception {
    Path python = live.copy(Tools.python(), "python3");
    keys.sign(python);
    LivePeers.Peer peer = live.start(live.python(python, "pass"));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertTrue(String.join(" ", v.reasons()).contains("interpreter"), v.reasons().toString());
  }

  @Test
  void renamedSignedPythonWithACopiedSidecarIsStillDeniedAsAnInterpreter() throws Exception {
    Path renamed = live.copy(Tools.python(), "vendor-updater");
    keys.signSidecar(renamed);
    LivePeers.Peer peer = live.start(live.python(renamed, "pass"));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals("python", v.identity().orElseThrow().risks().interpreter().orElseThrow());
  }

  @Test
  void interpreterIsAllowedOnlyWhenThePolicyOptsIn() throws Exception {
    Path python = live.copy(Tools.python(), "python3");
    keys.sign(python);
    LivePeers.Peer peer = live.start(live.python(python, "pass"));
    try (PeerVerifier optIn = verifier(POLICY + " and interpreter", null)) {
      Verdict v = optIn.verify(PeerHandle.socket(peer.fd()));
      assertTrue(v.isAllowed(), v.toString());
    }
  }

  @Test
  void tracedSignedClientIsDenied() throws Exception {
    Path strace = Tools.require("strace");
    List<String> command = new ArrayList<>(List.of(strace.toString(), "-f", "-o", "/dev/null"));
    command.addAll(live.curl(signedCurl("traced-client")));
    LivePeers.Peer peer = live.start(command);
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(v.identity().orElseThrow().risks().traced());
    assertTrue(String.join(" ", v.reasons()).contains("trace"), v.reasons().toString());
  }

  @Test
  void preloadedSignedClientIsDenied() throws Exception {
    Path lib = Files.exists(Path.of("/lib/x86_64-linux-gnu/libm.so.6"))
        ? Path.of("/lib/x86_64-linux-gnu/libm.so.6") : Path.of("/usr/lib64/libm.so.6");
    LivePeers.Peer peer = live.start(live.curl(signedCurl("preloaded-client")), Map.of("LD_PRELOAD", lib.toString()));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains("inject"), v.reasons().toString());
  }

  @Test
  void signedFileMovedOverARunningUnsignedClientDoesNotHelpIt() throws Exception {
    Path client = live.copy(curl, "swapped-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    Files.move(signedCurl("signed-replacement"), client, StandardCopyOption.REPLACE_EXISTING);
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
  }

  @Test
  void peerThatExitsBeforeTheVerdictIsDenied() throws Exception {
    Path client = signedCurl("leaving-client");
    LivePeers.Peer peer = live.start(live.curl(client));
    // the file check runs after the peer is gone: it exits while the server is still deciding
    Executor killFirst = task -> {
      try {
        peer.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      task.run();
    };
    try (PeerVerifier slow = verifier(POLICY, killFirst)) {
      Verdict v = slow.openAsync(PeerHandle.socket(peer.fd())).get(30, TimeUnit.SECONDS).verdict();
      assertFalse(v.isAllowed(), v.toString());
      assertTrue(String.join(" ", v.reasons()).contains("process " + peer.pid() + " exited"), v.reasons().toString());
    }
  }

  @Test
  void sessionRevalidationNoticesThePeerLeaving() throws Exception {
    LivePeers.Peer peer = live.start(live.curl(signedCurl("session-client")));
    try (PeerSession session = verifier.open(PeerHandle.socket(peer.fd()))) {
      session.requireAllowed();
      session.revalidate();
      peer.kill();
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, session::revalidate);
      assertTrue(e.getMessage().contains("exited"), e.getMessage());
    }
  }

  @Test
  void pidHandleIsMarkedRacy() throws Exception {
    LivePeers.Peer peer = live.start(live.curl(signedCurl("inspected-client")));
    Verdict v = verifier.verify(PeerHandle.pid(peer.pid()));
    assertTrue(v.isAllowed(), v.toString());
    assertTrue(v.identity().orElseThrow().process().orElseThrow().racy());
  }

  @Test
  void unidentifiablePeerIsDeniedAndAuthenticateThrows() {
    Verdict v = verifier.verify(PeerHandle.socket(1_000_000));
    assertFalse(v.isAllowed());
    assertTrue(v.reasons().get(0).contains("not an open file descriptor"), v.reasons().toString());
    assertThrows(PeerIdentificationException.class, () -> verifier.authenticate(PeerHandle.socket(1_000_000)));
  }
}
