package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Other processes writing over a verified peer's connection, read through the blocking API
 * ({@link LinuxPeers#senderCheckedInput}): SO_PEERCRED names the process that connected, and the
 * verdict about it stays allowed throughout; only the writer of each read tells them apart. The
 * attackers run as nobody when the tests run as root.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackWriterTest {
  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path client;

  @BeforeEach
  void setUp() throws Exception {
    live = AttackKit.openLive();
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
    live.labelWriters(verifier);
    client = AttackKit.signedClient(live, keys);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  @Test
  void childOfAProgramThatThenExecsTheSignedClientIsRefused() throws Exception {
    Path python = Tools.python();
    String code = "import os,socket,sys,time\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(sys.argv[2])\n"
        + "s.set_inheritable(True)\n"
        + "if os.fork()==0:\n"
        + "  time.sleep(0.5)\n"
        + "  s.sendall(b'EVIL\\n')\n"
        + "  time.sleep(120)\n"
        + "else:\n"
        + "  os.execv(sys.argv[1],[sys.argv[1],sys.argv[2]])\n";
    LivePeers.Peer peer = live.start(asAttacker(command(python, "-c", code, client, live.socketPath)));
    awaitExe(peer.pid(), client);
    try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
      assertTrue(session.verdict().isAllowed(), "the connecting pid now runs the signed client: " + session.verdict());
      RefusedWriterException e = assertThrows(RefusedWriterException.class, () -> firstLine(session, peer));
      assertTrue(e.getMessage().contains("is not allowed"), e.getMessage());
      assertTrue(e.getMessage().contains("python"), "the child is verified on its own: " + e.getMessage());
    }
  }

  @Test
  void connectionHandedByForkToAnUnsignedShellIsRefused() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
      assertTrue(session.verdict().isAllowed(), "SO_PEERCRED names the signed client, alive: " + session.verdict());
      RefusedWriterException e = assertThrows(RefusedWriterException.class, () -> firstLine(session, peer));
      assertTrue(e.getMessage().contains("is not allowed"), e.getMessage());
      assertTrue(peer.socket.isClosed(), "the connection is closed, its data dropped");
    }
  }

  @Test
  void connectionHandedOverScmRightsToAnUnsignedProgramIsRefused() throws Exception {
    Path python = Tools.python();
    Path attacker = AttackKit.attackerDir(live, "receiver");
    Path drop = attacker.resolve("r.sock");
    String receiver = "import os,socket,sys,time\n"
        + "l=socket.socket(socket.AF_UNIX)\n"
        + "l.bind(sys.argv[1])\n"
        + "os.chmod(sys.argv[1],0o777)\n"
        + "l.listen(1)\n"
        + "print('ready',flush=True)\n"
        + "c,_=l.accept()\n"
        + "msg,anc,flags,addr=c.recvmsg(1,socket.CMSG_SPACE(4))\n"
        + "fd=int.from_bytes(anc[0][2][:4],sys.byteorder)\n"
        + "os.write(fd,b'EVIL\\n')\n"
        + "time.sleep(120)\n";
    Process r = new ProcessBuilder(asAttacker(command(python, "-c", receiver, drop))).redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(r.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("ready", out.readLine());
      LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "pass", drop)));
      try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
        assertTrue(session.verdict().isAllowed(), session.verdict().toString());
        RefusedWriterException e = assertThrows(RefusedWriterException.class, () -> firstLine(session, peer));
        assertTrue(e.getMessage().contains("process " + r.pid() + " wrote to the connection and is not allowed"),
            e.getMessage());
      }
    } finally {
      r.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void verifiedClientThatExecsAnUnsignedProgramIsCutOff() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "exec-later", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      BufferedReader in = reader(session, peer);
      assertEquals("vendor", in.readLine(), "the verified client's own greeting is read");
      peer.send("go");
      awaitExeNot(peer.pid(), client);
      RefusedWriterException e = assertThrows(RefusedWriterException.class, in::readLine);
      assertTrue(e.getMessage().contains("now runs another file"), e.getMessage());
    }
  }

  @Test
  void signedClientWhoseChildRunsTheSameSignedFileIsRead() throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", client, "--fd3")));
    try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      assertEquals("vendor", firstLine(session, peer), "the child, verified on its own, is allowed");
    }
  }

  @Test
  void withoutSoPassPidfdOtherWritersArePinnedByStartTime() throws Exception {
    KernelWithoutPeerPidfd oldKernel = new KernelWithoutPeerPidfd(new JnaLinuxLibc());
    try (PeerVerifier old = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY))
        .backend(new LinuxPeerBackend(oldKernel))
        .build()) {
      Path sh = Tools.require("sh");
      LivePeers.Peer evil = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
          "echo EVIL >&3; exec sleep 120")));
      try (PeerSession session = old.open(LinuxPeers.of(evil.socket))) {
        assertTrue(session.verdict().isAllowed(), session.verdict().toString());
        InputStream in = LinuxPeers.senderCheckedInput(old, session, evil.socket);
        RefusedWriterException e = assertThrows(RefusedWriterException.class, () -> in.read(new byte[16]));
        assertTrue(e.getMessage().contains("is not allowed"), e.getMessage());
      }
      LivePeers.Peer good = live.start(asAttacker(command(client, live.socketPath, "handoff", client, "--fd3")));
      try (PeerSession session = old.open(LinuxPeers.of(good.socket));
          BufferedReader in = new BufferedReader(new InputStreamReader(
              LinuxPeers.senderCheckedInput(old, session, good.socket), StandardCharsets.UTF_8))) {
        assertEquals("vendor", in.readLine());
      }
      assertEquals(0, oldKernel.pidfdPeeks.get(), "no pidfd asked of a kernel without SO_PASSPIDFD");
      assertTrue(oldKernel.peerPidfdCalls.get() > 0, "the old-kernel double was used");
    }
  }

  private String firstLine(PeerSession session, LivePeers.Peer peer) throws Exception {
    try (BufferedReader in = reader(session, peer)) {
      return in.readLine();
    }
  }

  private BufferedReader reader(PeerSession session, LivePeers.Peer peer) throws Exception {
    peer.socket.setSoTimeout(20_000);
    return new BufferedReader(new InputStreamReader(LinuxPeers.senderCheckedInput(verifier, session, peer.socket),
        StandardCharsets.UTF_8));
  }

  private static void awaitExe(long pid, Path exe) throws Exception {
    Path link = Path.of("/proc", Long.toString(pid), "exe");
    for (int i = 0; i < 500 && !Files.readSymbolicLink(link).equals(exe); i++) {
      Thread.sleep(10);
    }
    assertEquals(exe, Files.readSymbolicLink(link));
  }

  private static void awaitExeNot(long pid, Path exe) throws Exception {
    Path link = Path.of("/proc", Long.toString(pid), "exe");
    for (int i = 0; i < 500 && Files.readSymbolicLink(link).equals(exe); i++) {
      Thread.sleep(10);
    }
    assertNotEquals(exe, Files.readSymbolicLink(link));
  }

}
