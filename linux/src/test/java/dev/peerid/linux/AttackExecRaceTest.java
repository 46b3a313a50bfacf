package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.SignatureStatus;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A peer that keeps exec'ing between its own unsigned program U and a signed launcher S that execs
 * U again ({@code U -> S -> U -> S ...}, same pid, same connection). The backend stats
 * /proc/PID/exe before and after verification but opens it (for the bytes) separately in between:
 * when the open lands in S's turn and both stats in U's, S's bytes (and, through the sidecar next to
 * U's path, S's genuine signature) are verified and the VALID result is stored under U's file
 * identity.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(120)
class AttackExecRaceTest {
  /** connect once (unless argv[1] is "-"), then exec LAUNCHER SELF - LAUNCHER forever; "stay" waits as U. */
  static final String LOOPER_C = """
      #define _GNU_SOURCE
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      #include <sys/socket.h>
      #include <sys/un.h>
      int main(int argc, char **argv) {
        if (strcmp(argv[1], "-") != 0) {
          int s = socket(AF_UNIX, SOCK_STREAM, 0);
          struct sockaddr_un a;
          memset(&a, 0, sizeof a);
          a.sun_family = AF_UNIX;
          strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
          if (connect(s, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); return 2; }
        }
        if (strcmp(argv[2], "stay") == 0) { for (;;) pause(); }
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0) { perror("readlink"); return 1; }
        self[n] = 0;
        char *args[] = { argv[2], self, "-", argv[2], NULL };
        execv(argv[2], args);
        perror("execv");
        return 1;
      }
      """;
  private static final int ATTEMPTS = 10_000;

  private LivePeers live;
  private ImaTestKeys keys;
  private PeerVerifier verifier;

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    keys = ImaTestKeys.create(live.dir);
    verifier = AttackKit.verifier(keys, AttackKit.POLICY);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  @Test
  void execLoopDoesNotGetTheUnsignedProgramAllowed() throws Exception {
    Path attacker = AttackKit.attackerDir(live, "attacker");
    Path launcher = live.copy(Tools.require("env"), "signed-launcher");
    keys.signSidecar(launcher);
    AttackKit.makeReadable(launcher);
    Path looper = AttackKit.compile(attacker, "looper", LOOPER_C);
    // the launcher's genuine signature, copied next to the attacker's program: it never verifies U's own bytes
    Files.copy(Path.of(launcher + ".sig"), Path.of(looper + ".sig"));

    LivePeers.Peer peer = live.start(asAttacker(command(looper, live.socketPath, launcher)));
    PeerHandle handle = PeerHandle.socket(peer.fd());
    Verdict poisoned = null;
    for (int i = 0; i < ATTEMPTS && poisoned == null; i++) {
      Verdict v = verifier.verify(handle);
      if (v.isAllowed() && v.identity().orElseThrow().executable().path().equals(looper.toString())) {
        poisoned = v;
        System.out.println("exec race won after " + (i + 1) + " verifications: " + v.identity().orElseThrow().executable()
            + " U ino=" + Files.getAttribute(looper, "unix:ino") + " S ino=" + Files.getAttribute(launcher, "unix:ino"));
      }
    }
    // the verdict the race gave, if any, and what the cache now says about a plain run of U
    LivePeers.Peer plain = live.start(asAttacker(command(looper, live.socketPath, "stay")));
    Verdict second = verifier.verify(PeerHandle.socket(plain.fd()));
    System.out.println("plain run of U afterwards: " + second + " " + second.identity().orElseThrow().executable());
    assertEquals(looper.toString(), second.identity().orElseThrow().executable().path());
    assertFalse(second.isAllowed(), "the unsigned program is allowed from the cache: " + second);
    assertEquals(null, poisoned, "the exec loop got the unsigned program allowed: " + poisoned);
  }

  @Test
  void plainRunOfTheLooperWithTheLaunchersSignatureIsDenied() throws Exception {
    Path attacker = AttackKit.attackerDir(live, "attacker");
    Path launcher = live.copy(Tools.require("env"), "signed-launcher");
    keys.signSidecar(launcher);
    Path looper = AttackKit.compile(attacker, "looper", LOOPER_C);
    Files.copy(Path.of(launcher + ".sig"), Path.of(looper + ".sig"));
    LivePeers.Peer plain = live.start(asAttacker(command(looper, live.socketPath, "stay")));
    Verdict v = verifier.verify(PeerHandle.socket(plain.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertNotNull(v.identity().orElse(null), v.toString());
    assertEquals(SignatureStatus.INVALID, v.identity().orElseThrow().signature().status());
    assertTrue(String.join(" ", v.reasons()).contains("does not match"), v.reasons().toString());
  }
}
