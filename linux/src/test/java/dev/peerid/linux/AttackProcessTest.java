package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.SignatureStatus;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Attacks on the process rather than the file: handing the verified connection to another program,
 * a signed peer that leaves its socket to a child and exits, and a same-user process rewriting the
 * signed peer's memory without ever being its tracer.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackProcessTest {
  /**
   * The attacker's launcher: starts the signed client (which waits for a line on stdin before it
   * greets), overwrites the greeting in the child's memory through /proc/PID/mem (no ptrace attach,
   * so TracerPid stays 0), then lets it go on.
   */
  static final String MEM_WRITER_PY = """
      import os, re, subprocess, sys, time
      client, sock = sys.argv[1], sys.argv[2]
      p = subprocess.Popen([client, sock, 'wait'], stdin=subprocess.PIPE)
      for _ in range(500):
          if any(os.readlink('/proc/%d/fd/%s' % (p.pid, f)).startswith('socket:')
                 for f in os.listdir('/proc/%d/fd' % p.pid)):
              break
          time.sleep(0.01)
      time.sleep(0.2)
      done = False
      with open('/proc/%d/mem' % p.pid, 'r+b', buffering=0) as mem:
          for line in open('/proc/%d/maps' % p.pid):
              m = re.match(r'([0-9a-f]+)-([0-9a-f]+) r', line)
              if not m or not line.rstrip().endswith(client):
                  continue
              start, end = int(m.group(1), 16), int(m.group(2), 16)
              mem.seek(start)
              at = mem.read(end - start).find(b'vendor\\0')
              if at >= 0:
                  mem.seek(start + at)
                  mem.write(b'EVIL\\0\\0')
                  done = True
      print('rewrote the greeting' if done else 'greeting not found', flush=True)
      p.stdin.write(b'go\\n'); p.stdin.flush()
      p.wait()
      """;

  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;
  private Path client;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
    Path vendor = Files.createDirectory(live.dir.resolve("vendor"));
    client = AttackKit.compile(vendor, "client", AttackKit.CLIENT_C);
    keys.signSidecar(client);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  @Disabled("ATTACK SUCCEEDS (documented open hole: socket hand-off): the signed client connects and gives the"
      + " connection to an unsigned shell; SO_PEERCRED still names the signed client, which stays alive, so the"
      + " shell is served as the signed peer. Narrowing: find other holders of the peer's socket (see the report)")
  @Test
  void connectionHandedToAnUnsignedProgramIsDenied() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the unsigned shell holds the connection");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), "an unsigned shell talks over the signed client's connection: " + v);
  }

  @Test
  void signedClientThatHandsItsConnectionToAChildAndExitsIsDenied() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff-exit", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    assertTrue(peer.process.waitFor(20, TimeUnit.SECONDS), "the signed client exited");
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(String.join(" ", v.reasons()).contains("exited"), v.reasons().toString());
  }

  @Test
  void sessionOfAPeerThatLeftItsConnectionToAChildIsNoLongerValid() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    AttackKit.firstLine(peer);
    try (PeerSession session = verifier.open(PeerHandle.socket(peer.fd()))) {
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      peer.kill(); // the signed parent goes; the child keeps the connection
      assertFalse(isStillValid(session), "revalidation notices the verified process is gone");
    }
  }

  private static boolean isStillValid(PeerSession session) {
    try {
      session.revalidate();
      return true;
    } catch (Exception e) {
      return !e.getMessage().contains("exited");
    }
  }

  @Disabled("ATTACK SUCCEEDS (same-user memory write, related to the documented ptrace hole but BEFORE the"
      + " check): the attacker's launcher rewrites its signed child's memory through /proc/PID/mem without"
      + " attaching, so TracerPid is 0 and the peer is allowed while running the attacker's data. Not closable"
      + " from outside; see the report (Yama, PR_SET_DUMPABLE, parent check)")
  @Test
  void signedClientWhoseMemoryItsParentRewroteIsDenied() throws Exception {
    Path python = Tools.python();
    Path script = live.dir.resolve("memwriter.py");
    Files.writeString(script, MEM_WRITER_PY);
    AttackKit.makeReadable(script);
    LivePeers.Peer launcher = live.start(asAttacker(command(python, script, client, live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(launcher), "the signed client sends what its parent wrote");
    Verdict v = verifier.verify(PeerHandle.socket(launcher.fd()));
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.identity().orElseThrow().risks().traced(), "no tracer is attached");
    assertFalse(v.isAllowed(), "the signed peer runs with memory its parent rewrote: " + v);
  }
}
