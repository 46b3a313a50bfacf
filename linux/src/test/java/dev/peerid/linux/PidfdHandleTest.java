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
import dev.peerid.Policy;
import dev.peerid.ProcessInfo;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * {@link PeerHandle#pidfd(int)}: a process named by a pidfd someone else opened (here, the test
 * with {@code pidfd_open}, as a bus would), verified by the same full read as a socket's peer.
 */
@EnabledOnOs(OS.LINUX)
class PidfdHandleTest {
  private static final JnaLinuxLibc LIBC = new JnaLinuxLibc();
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
    verifier = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("live-test", keys.certPem).build())
        .policy(Policy.parse("signed by \"live-test\""))
        .build();
  }

  @AfterEach
  void tearDown() throws IOException {
    verifier.close();
    live.close();
  }

  @Test
  void signedChildNamedByAPidfdIsAllowedPinnedAndNotRacy() throws Exception {
    Path client = live.copy(curl, "pidfd-signed");
    keys.signSidecar(client); // no privilege needed, unlike security.ima
    LivePeers.Peer child = live.start(live.curl(client));
    int pidfd = LIBC.pidfdOpen(child.pid());
    try {
      long before = openDescriptors();
      PeerIdentity id;
      try (PeerSession session = verifier.open(PeerHandle.pidfd(pidfd))) {
        id = session.requireAllowed();
        session.revalidate();
        // the session holds a duplicate of its own, not the caller's descriptor
        assertEquals(before + 1, openDescriptors());
      }
      ProcessInfo p = id.process().orElseThrow();
      assertEquals(child.pid(), p.pid());
      assertEquals("pidfd", p.raceToken());
      assertFalse(p.racy(), "a pidfd pins the process");
      assertEquals(client.toString(), id.executable().path());
      assertEquals(SignatureStatus.VALID, id.signature().status());
      assertEquals(before, openDescriptors(), "the duplicate is closed with the session");
      assertFalse(LIBC.hasExited(pidfd), "the caller's pidfd is still open and still names the child");
    } finally {
      LIBC.close(pidfd);
    }
  }

  @Test
  void unsignedChildIsDeniedWithAReason() throws Exception {
    LivePeers.Peer child = live.start(live.curl(live.copy(curl, "pidfd-unsigned")));
    int pidfd = LIBC.pidfdOpen(child.pid());
    try {
      Verdict v = verifier.verify(PeerHandle.pidfd(pidfd));
      assertFalse(v.isAllowed(), v.toString());
      assertEquals(SignatureStatus.UNSIGNED, v.identity().orElseThrow().signature().status());
      assertFalse(v.reasons().isEmpty());
    } finally {
      LIBC.close(pidfd);
    }
  }

  @Test
  void aPidfdOfAnExitedChildIsRefusedAsExited() throws Exception {
    Path client = live.copy(curl, "pidfd-gone");
    keys.signSidecar(client); // no privilege needed, unlike security.ima
    LivePeers.Peer child = live.start(live.curl(client));
    int pidfd = LIBC.pidfdOpen(child.pid());
    try {
      child.kill(); // and reaped: the pid may now go to another process, the pidfd knows it is gone
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
          () -> verifier.authenticate(PeerHandle.pidfd(pidfd)));
      assertTrue(e.getMessage().contains("exited"), e.getMessage());
    } finally {
      LIBC.close(pidfd);
    }
  }

  @Test
  void aDescriptorThatIsNotAPidfdIsRefused() throws Exception {
    int fd = LIBC.openReadOnly("/proc/self/stat\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    try {
      long before = openDescriptors();
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class,
          () -> verifier.authenticate(PeerHandle.pidfd(fd)));
      assertTrue(e.getMessage().contains("not a pidfd"), e.getMessage());
      assertEquals(before, openDescriptors(), "the duplicate is closed on refusal");
    } finally {
      LIBC.close(fd);
    }
    Verdict closed = verifier.verify(PeerHandle.pidfd(1_000_000));
    assertFalse(closed.isAllowed());
    assertTrue(closed.reasons().get(0).contains("not an open file descriptor"), closed.reasons().toString());
  }

  @Test
  void fdinfoPidFieldIsReadStrictly() throws Exception {
    assertEquals(4242, Pidfds.pid(7, "\npos:\t0\nflags:\t02000002\nPid:\t4242\nNSpid:\t4242 1\n"));
    assertTrue(assertThrows(PeerIdentificationException.class, () -> Pidfds.pid(7, "\nPid:\t0\n"))
        .getMessage().contains("PID namespace"));
    assertTrue(assertThrows(PeerIdentificationException.class, () -> Pidfds.pid(7, "\nPid:\t-1\n"))
        .getMessage().contains("exited"));
    assertTrue(assertThrows(PeerIdentificationException.class, () -> Pidfds.pid(7, "\nPid:\tx1\n"))
        .getMessage().contains("unreadable"));
    assertTrue(assertThrows(PeerIdentificationException.class, () -> Pidfds.pid(7, "\nNSpid:\t4\n"))
        .getMessage().contains("not a pidfd"));
  }

  private static long openDescriptors() throws IOException, InterruptedException {
    // the verifier's threads open files only while verifying: let them finish first
    TimeUnit.MILLISECONDS.sleep(20);
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
