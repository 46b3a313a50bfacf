package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerHandle;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.SignatureStatus;
import dev.peerid.Verdict;
import java.io.InputStream;
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

  /**
   * The attacker's launcher for a library: starts the signed client, writes one byte through
   * /proc/PID/mem at the end of the code mapping of the library named by its file name (argv 3) —
   * flipped ({@code flip}, into the padding after the last function of a small library) or the
   * byte it was ({@code same}, harmless anywhere, and still a copy of the page) — then lets the
   * client go on. Gives up (and the client never greets) when the library is not mapped.
   */
  static final String LIBRARY_WRITER_PY = """
      import os, re, subprocess, sys, time
      client, sock, library, how = sys.argv[1:5]
      p = subprocess.Popen([client, sock, 'wait'], stdin=subprocess.PIPE)
      for _ in range(500):
          if any(os.readlink('/proc/%d/fd/%s' % (p.pid, f)).startswith('socket:')
                 for f in os.listdir('/proc/%d/fd' % p.pid)):
              break
          time.sleep(0.01)
      time.sleep(0.2)
      done = None
      with open('/proc/%d/mem' % p.pid, 'r+b', buffering=0) as mem:
          for line in open('/proc/%d/maps' % p.pid):
              m = re.match(r'([0-9a-f]+)-([0-9a-f]+) r-xp \\S+ \\S+ \\S+ +(/\\S+)$', line.rstrip())
              if not m or os.path.basename(m.group(3)) != library:
                  continue
              at = int(m.group(2), 16) - 1
              mem.seek(at)
              b = mem.read(1)
              mem.seek(at)
              mem.write(bytes([b[0] ^ 0xff]) if how == 'flip' else b)
              done = m.group(3)
              break
      if not done:
          p.kill()
          sys.exit('%s is not mapped' % library)
      print('wrote into ' + done, flush=True)
      p.stdin.write(b'go\\n'); p.stdin.flush()
      p.wait()
      """;

  /**
   * A debugger that leaves a breakpoint behind, as small as can be: traces its child from exec,
   * writes a word of the child's code back over itself with PTRACE_POKETEXT (any write copies the
   * page, as setting and clearing a breakpoint does), detaches, and lets it run.
   */
  static final String POKER_C = """
      #define _GNU_SOURCE
      #include <errno.h>
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      #include <sys/ptrace.h>
      #include <sys/wait.h>
      int main(int argc, char **argv) {
        if (argc < 3) return 1;
        pid_t child = fork();
        if (child == 0) {
          ptrace(PTRACE_TRACEME, 0, 0, 0);
          execv(argv[1], argv + 1);
          _exit(127);
        }
        int status;
        if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status)) return 2;
        char path[64], line[4096];
        snprintf(path, sizeof path, "/proc/%d/maps", (int) child);
        FILE *maps = fopen(path, "r");
        unsigned long start = 0;
        while (maps && fgets(line, sizeof line, maps)) {
          unsigned long s, e;
          char perms[8];
          if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && perms[2] == 'x' && strstr(line, argv[1])) {
            start = s;
            break;
          }
        }
        if (!start) return 3;
        errno = 0;
        long word = ptrace(PTRACE_PEEKTEXT, child, (void *) start, 0);
        if (errno != 0 || ptrace(PTRACE_POKETEXT, child, (void *) start, (void *) word) != 0) return 4;
        printf("poked %lx\\n", start);
        fflush(stdout);
        ptrace(PTRACE_DETACH, child, 0, 0);
        waitpid(child, &status, 0);
        return 0;
      }
      """;

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
  void connectionHandedToAnUnsignedProgramIsDenied() throws Exception {
    Path sh = Tools.require("sh");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "handoff", sh, "-c",
        "echo EVIL >&3; exec sleep 120")));
    try (PeerSession session = verifier.open(LinuxPeers.of(peer.socket))) {
      // SO_PEERCRED still names the signed client, which stays alive: the verdict about it is right
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      peer.socket.setSoTimeout(20_000);
      InputStream in = LinuxPeers.senderCheckedInput(verifier, session, peer.socket);
      RefusedWriterException e = assertThrows(RefusedWriterException.class,
          () -> in.read(new byte[16]), "the unsigned shell's bytes are never read as the signed client's");
      assertTrue(e.getMessage().contains("is not allowed"), e.getMessage());
    }
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

  @Test
  void signedClientWhoseMemoryItsParentRewroteIsDenied() throws Exception {
    Path python = Tools.python();
    Path script = live.dir.resolve("memwriter.py");
    Files.writeString(script, MEM_WRITER_PY);
    AttackKit.makeReadable(script);
    LivePeers.Peer launcher = live.start(asAttacker(command(python, script, client, live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(launcher), "the signed client sends what its parent wrote");
    Verdict v;
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      // no tracer, nothing injected: only the strict backend's look at the code in memory sees it
      assertTrue(verifier.verify(PeerHandle.socket(launcher.fd())).isAllowed(), "the default backend misses it");
      v = strict.verify(PeerHandle.socket(launcher.fd()));
    }
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.identity().orElseThrow().risks().traced(), "no tracer is attached");
    assertTrue(String.join(" ", v.reasons()).contains("modified:" + client), v.reasons().toString());
    assertTrue(String.join(" ", v.reasons()).contains("/proc/PID/mem"), v.reasons().toString());
    assertFalse(v.isAllowed(), "the signed peer runs with memory its parent rewrote: " + v);
  }

  /** The vendor's client that takes its greeting from libvendor.so next to it (RUNPATH $ORIGIN). */
  private Path signedClientWithLibrary() throws Exception {
    Path vendor = client.getParent();
    AttackKit.library(vendor, "libvendor.so", AttackKit.LIBVENDOR_C);
    Path withLibrary = AttackKit.compile(vendor, "libclient", AttackKit.CLIENT_C, "-DWITH_LIB", "-L" + vendor,
        "-lvendor", "-Wl,--enable-new-dtags,-rpath,$ORIGIN");
    keys.signSidecar(withLibrary);
    return withLibrary;
  }

  /** Runs the signed client under {@link #LIBRARY_WRITER_PY}; the strict verdict, after the default one allowed. */
  private Verdict verdictAfterAWriteInto(Path signed, String library, String how) throws Exception {
    Path script = live.dir.resolve("libwriter.py");
    Files.writeString(script, LIBRARY_WRITER_PY);
    AttackKit.makeReadable(script);
    LivePeers.Peer launcher = live.start(asAttacker(command(Tools.python(), script, signed, live.socketPath, library,
        how)));
    assertEquals("vendor", AttackKit.firstLine(launcher), "the client still greets after its parent wrote into " + library);
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      Verdict v = verifier.verify(PeerHandle.socket(launcher.fd()));
      // no tracer, its own file untouched: the default backend sees nothing
      assertTrue(v.isAllowed(), "the default backend misses it: " + v);
      return strict.verify(PeerHandle.socket(launcher.fd()));
    }
  }

  @Test
  void signedClientWhoseLibraryCodeItsParentRewroteIsDenied() throws Exception {
    Path signed = signedClientWithLibrary();
    Path library = signed.resolveSibling("libvendor.so").toRealPath();
    Verdict v = verdictAfterAWriteInto(signed, "libvendor.so", "flip");
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.identity().orElseThrow().risks().traced(), "no tracer is attached");
    String reasons = String.join(" ", v.reasons());
    assertTrue(reasons.contains("modified:" + library + " (1 page of its code modified in memory"), v.reasons().toString());
    assertFalse(reasons.contains("modified:" + signed.toRealPath()), "the client's own code is the file's: " + reasons);
    assertFalse(v.isAllowed(), "the signed peer runs library code its parent rewrote: " + v);
  }

  @Test
  void signedClientWhoseCLibraryCodeItsParentWroteIntoIsDenied() throws Exception {
    Verdict v = verdictAfterAWriteInto(client, "libc.so.6", "same");
    String reasons = String.join(" ", v.reasons());
    assertTrue(reasons.matches(".*modified:/\\S*/libc\\.so\\.6 \\(1 page of its code modified in memory.*"), reasons);
    assertEquals(1, v.identity().orElseThrow().risks().injectedLibraries().size(),
        "nothing but the C library's page: " + v.identity().orElseThrow().risks().injectedLibraries());
    assertFalse(v.isAllowed(), "the signed peer runs C library code its parent wrote: " + v);
  }

  @Test
  void signedClientWithABreakpointLeftByItsDebuggerIsDenied() throws Exception {
    Path tools = AttackKit.attackerDir(live, "tools");
    Path poker = AttackKit.compile(tools, "poker", POKER_C);
    AttackKit.makeReadable(poker);
    LivePeers.Peer peer = live.start(asAttacker(command(poker, client, live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer), "the word written back changed nothing it runs");
    Verdict v;
    try (PeerVerifier strict = AttackKit.strictVerifier(keys, AttackKit.POLICY)) {
      // the debugger detached before the client connected: TracerPid is 0
      assertTrue(verifier.verify(PeerHandle.socket(peer.fd())).isAllowed(), "the default backend misses it");
      v = strict.verify(PeerHandle.socket(peer.fd()));
    }
    assertFalse(v.identity().orElseThrow().risks().traced(), "no tracer is attached");
    assertTrue(String.join(" ", v.reasons()).contains("modified:" + client), v.reasons().toString());
    assertFalse(v.isAllowed(), "the signed peer runs code its debugger wrote: " + v);
  }

  @Test
  void debuggerAttachedToASecondaryThreadIsDenied() throws Exception {
    Path strace = Tools.require("strace");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "thread")));
    AttackKit.firstLine(peer);
    Path tasks = Path.of("/proc", Long.toString(peer.pid()), "task");
    String tid = null;
    for (int i = 0; i < 200 && tid == null; i++) {
      try (var list = Files.list(tasks)) {
        tid = list.map(t -> t.getFileName().toString()).filter(t -> !t.equals(Long.toString(peer.pid())))
            .findFirst().orElse(null);
      }
      if (tid == null) {
        Thread.sleep(10);
      }
    }
    assertTrue(tid != null, "the client started its second thread");
    Process tracer = new ProcessBuilder(asAttacker(command(strace, "-o", "/dev/null", "-p", tid)))
        .redirectErrorStream(true).redirectOutput(live.dir.resolve("strace.log").toFile()).start();
    try {
      Path taskStatus = tasks.resolve(tid).resolve("status");
      for (int i = 0; i < 500 && !traced(taskStatus); i++) {
        Thread.sleep(10);
      }
      assertTrue(traced(taskStatus), "strace is attached to thread " + tid);
      Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
      assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
      assertFalse(v.isAllowed(), "a debugger controls a thread of the signed peer: " + v);
    } finally {
      tracer.destroyForcibly();
      tracer.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static boolean traced(Path status) throws java.io.IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("TracerPid:")) {
        return !line.substring(10).trim().equals("0");
      }
    }
    return false;
  }

  @Test
  void debuggerAttachedToTheMainThreadIsDenied() throws Exception {
    Path strace = Tools.require("strace");
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "thread")));
    AttackKit.firstLine(peer);
    Process tracer = new ProcessBuilder(asAttacker(command(strace, "-o", "/dev/null", "-p", peer.pid())))
        .redirectErrorStream(true).redirectOutput(live.dir.resolve("strace.log").toFile()).start();
    try {
      Path status = Path.of("/proc", Long.toString(peer.pid()), "status");
      for (int i = 0; i < 500 && !traced(status); i++) {
        Thread.sleep(10);
      }
      assertTrue(traced(status), "strace is attached");
      Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
      assertFalse(v.isAllowed(), v.toString());
      assertTrue(v.identity().orElseThrow().risks().traced(), v.toString());
    } finally {
      tracer.destroyForcibly();
      tracer.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Disabled("ATTACK SUCCEEDS (documented open hole, narrowed): an unsigned program connects, writes, then execs the"
      + " signed client before the server reads: the kernel labels data with the process that wrote it, not with the"
      + " program it ran then, so the bytes look like the signed client's. Closed when another process writes (a child"
      + " that keeps the socket: AttackWriterTest) or the exec comes after the verdict; see docs/security.md")
  @Test
  void unsignedProgramThatExecsTheSignedClientAfterConnectingIsDenied() throws Exception {
    Path python = Tools.python();
    String code = "import os,socket,sys\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(sys.argv[2])\n"
        + "s.sendall(b'EVIL\\n')\n"
        + "s.set_inheritable(True)\n"
        + "os.execv(sys.argv[1],[sys.argv[1],sys.argv[2]])\n";
    LivePeers.Peer peer = live.start(asAttacker(command(python, "-c", code, client, live.socketPath)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the unsigned program spoke first");
    Path exe = Path.of("/proc", Long.toString(peer.pid()), "exe");
    for (int i = 0; i < 500 && !Files.readSymbolicLink(exe).equals(client); i++) {
      Thread.sleep(10);
    }
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), "the connection was opened and used by an unsigned program: " + v);
  }
}
