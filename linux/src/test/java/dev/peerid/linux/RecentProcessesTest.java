package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.FileIdentity;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import dev.peerid.spi.PeerProcess;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The reuse of a peer process's full read for its next connections ({@link RecentProcesses}),
 * against real client processes: what is reused, what is seen at once (an exec of another program,
 * a change of ids, an exit), what waits for the maximum age (a debugger attached later), and that
 * its descriptors stay bounded and are closed.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class RecentProcessesTest {
  /**
   * Connects to argv[1], then for each line on stdin: {@code again} connects once more (earlier
   * sockets stay open); {@code exec PROG} execs PROG with argv[1] (which connects in turn);
   * {@code drop} becomes nobody (no supplementary groups) and connects again. {@code ARGV[1] spawn N}
   * instead forks N children one after the other, each connecting once and exiting when the server
   * closes its end.
   */
  static final String CLIENT_C = """
      #define _GNU_SOURCE
      #include <grp.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <unistd.h>
      #include <sys/socket.h>
      #include <sys/un.h>
      #include <sys/wait.h>
      static int dial(const char *path) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        if (connect(s, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); exit(2); }
        return s;
      }
      int main(int argc, char **argv) {
        if (argc > 3 && strcmp(argv[2], "spawn") == 0) {
          for (int i = 0, n = atoi(argv[3]); i < n; i++) {
            pid_t c = fork();
            if (c < 0) { perror("fork"); return 4; }
            if (c == 0) { char b; int s = dial(argv[1]); (void) read(s, &b, 1); _exit(0); }
            waitpid(c, NULL, 0);
          }
          return 0;
        }
        setvbuf(stdin, NULL, _IONBF, 0); /* read nothing an exec would lose */
        dial(argv[1]);
        char line[4096];
        while (fgets(line, sizeof line, stdin)) {
          line[strcspn(line, "\\n")] = 0;
          if (strcmp(line, "again") == 0) {
            dial(argv[1]);
          } else if (strncmp(line, "exec ", 5) == 0) {
            execl(line + 5, line + 5, argv[1], (char *) NULL);
            perror("exec");
            return 3;
          } else if (strcmp(line, "drop") == 0) {
            if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) { perror("drop"); return 5; }
            dial(argv[1]);
          }
        }
        return 0;
      }
      """;

  private static final Duration LONG = Duration.ofSeconds(LinuxPeerBackend.MAX_REUSE_SECONDS);

  private LivePeers live;
  private Path client;
  private final JnaLinuxLibc raw = new JnaLinuxLibc();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    live = new LivePeers();
    AttackKit.openUp(live);
    Path bin = Files.createDirectory(live.dir.resolve("bin"));
    client = AttackKit.compile(bin, "client", CLIENT_C);
    AttackKit.makeReadable(client);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    live.close();
  }

  private LinuxPeerBackend backend(CountingLinuxLibc libc, Duration maxAge) {
    LinuxPeerBackend b = LinuxPeerBackend.builder().libc(libc).reuseProcessFactsFor(maxAge).build();
    toClose.add(b::close);
    return b;
  }

  private static PeerProcess attach(LinuxPeerBackend backend, LivePeers.Peer peer) throws Exception {
    return backend.attach(PeerHandle.socket(peer.fd()));
  }

  private static LivePeers.Peer again(LivePeers live, LivePeers.Peer peer) throws IOException {
    peer.send("again");
    return live.next(peer);
  }

  @Test
  void secondConnectionOfTheSameProcessIsServedFromItsFirstRead() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    // with supplementary groups, so that reusing them is something that could go wrong
    List<String> cmd = command(client, live.socketPath);
    if (AttackKit.isRoot()) {
      List<String> setpriv = command(Tools.require("setpriv"), "--reuid=65534", "--regid=65534", "--groups=65534,100");
      setpriv.addAll(cmd);
      cmd = setpriv;
    }
    LivePeers.Peer first = live.start(cmd);
    try (PeerProcess p1 = attach(backend, first)) {
      assertEquals(1, libc.fullReads(), "the first connection is read in full");
      assertEquals(1, backend.recentProcesses());
      LivePeers.Peer second = again(live, first);
      int statusOpens = libc.statusOpens.get();
      try (PeerProcess p2 = attach(backend, second)) {
        assertEquals(1, libc.fullReads(), "no environ was opened for the second connection");
        assertEquals(statusOpens, libc.statusOpens.get(), "no status was opened for the second connection");
        assertEquals(1, libc.exeChecksThroughProcDir.get(), "the running file was checked through /proc/<pid>");
        assertEquals(1, libc.userNamespaceChecksThroughProcDir.get(), "so was its user namespace");

        assertEquals(first.pid(), p2.process().pid());
        assertEquals(p1.process().pid(), p2.process().pid());
        assertEquals(client.toString(), p2.executable().path());
        assertEquals(p1.executable().path(), p2.executable().path());
        assertEquals(FileIdentity.of(client), p2.executable().identity());
        assertEquals(p1.executable().identity(), p2.executable().identity());
        assertEquals(p1.risks(), p2.risks());
        assertFalse(p2.risks().traced());
        assertEquals("pidfd", p2.process().raceToken());
        assertFalse(p2.process().racy());

        LinuxLibc.PeerCredentials cred = raw.peerCredentials(second.fd());
        assertEquals(cred.uid(), p2.process().uid());
        assertEquals(cred.gid(), p2.process().gid());
        assertEquals(toList(raw.peerGroups(second.fd())), p2.process().groups());
        assertEquals(ProcFs.system().status(first.pid()).groups(), p2.process().groups());
        if (AttackKit.isRoot()) {
          assertEquals(65534, p2.process().uid());
          assertEquals(List.of(100L, 65534L), p2.process().groups().stream().sorted().toList());
        }
        // the verification still reads the file the process runs, not the entry
        p2.confirmUnchanged();
      }
    }
  }

  @Test
  void execOfAnotherProgramIsSeenByTheNextConnection() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    Path other = live.copy(client, "other-client");
    int heldBefore = heldProcessDirectories();
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    try (PeerProcess p1 = attach(backend, first)) {
      assertEquals(client.toString(), p1.executable().path());
    }
    first.send("exec " + other);
    LivePeers.Peer afterExec = live.next(first);
    try (PeerProcess p2 = attach(backend, afterExec)) {
      assertEquals(1, libc.exeChecksThroughProcDir.get(), "the known process was recognised across the exec");
      assertEquals(2, libc.fullReads(), "the file it runs changed: read in full");
      assertEquals(first.pid(), p2.process().pid(), "an exec keeps the pid");
      assertEquals(other.toString(), p2.executable().path());
      assertEquals(FileIdentity.of(other), p2.executable().identity());
      assertNotEquals(FileIdentity.of(client), p2.executable().identity());
    }
    // the full read replaced the entry: the next connection is served from it, as the new program
    LivePeers.Peer third = again(live, afterExec);
    try (PeerProcess p3 = attach(backend, third)) {
      assertEquals(2, libc.fullReads());
      assertEquals(other.toString(), p3.executable().path());
      assertEquals(FileIdentity.of(other), p3.executable().identity());
    }
    assertEquals(1, backend.recentProcesses());
    assertEquals(1, heldProcessDirectories() - heldBefore, "the replaced entry's descriptor was closed");
    backend.close();
    assertEquals(heldBefore, heldProcessDirectories());
  }

  @Test
  void signedClientThatExecsAnUnsignedCopyIsDeniedOnItsNextConnection() throws Exception {
    ImaTestKeys keys = ImaTestKeys.create(live.dir);
    keys.signSidecar(client);
    Path unsigned = live.copy(client, "unsigned-client");
    LinuxPeerBackend backend = LinuxPeerBackend.builder().reuseProcessFactsFor(LONG).build();
    toClose.add(backend::close);
    try (PeerVerifier verifier = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(AttackKit.POLICY))
        .backend(backend)
        .build()) {
      LivePeers.Peer signed = live.start(asAttacker(command(client, live.socketPath)));
      Verdict v1 = verifier.verify(PeerHandle.socket(signed.fd()));
      assertTrue(v1.isAllowed(), v1.toString());
      Verdict v2 = verifier.verify(PeerHandle.socket(again(live, signed).fd()));
      assertTrue(v2.isAllowed(), "the signed client's next connection: " + v2);

      signed.send("exec " + unsigned);
      Verdict v3 = verifier.verify(PeerHandle.socket(live.next(signed).fd()));
      assertFalse(v3.isAllowed(), "the same process now runs an unsigned program: " + v3);
      assertEquals(unsigned.toString(), v3.identity().orElseThrow().executable().path(), v3.toString());
    }
  }

  /** What an event loop may call: a known process in a few system calls, anything else empty. */
  @Test
  void attachIfKnownServesOnlyAKnownProcessAndLeavesNothingOpenOtherwise() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    List<String> pidfdsBefore = pidfds();
    assertEquals(Optional.empty(), backend.attachIfKnown(PeerHandle.socket(first.fd())));
    assertEquals(0, libc.fullReads(), "an unknown process is not read");
    assertEquals(pidfdsBefore, pidfds(), "the pidfd taken to look it up was closed");
    assertEquals(Optional.empty(), backend.attachIfKnown(PeerHandle.pid(first.pid())), "a bare pid is never cheap");
    try (PeerProcess full = attach(backend, first)) {
      assertEquals(1, libc.fullReads());
      LivePeers.Peer second = again(live, first);
      try (PeerProcess known = backend.attachIfKnown(PeerHandle.socket(second.fd())).orElseThrow()) {
        assertEquals(1, libc.fullReads(), "served from the first read");
        assertEquals(full.process().pid(), known.process().pid());
        assertEquals(full.executable(), known.executable());
        assertEquals(full.risks(), known.risks());
      }
    }
    LinuxPeerBackend none = backend(libc, Duration.ZERO);
    try (PeerProcess p = attach(none, first)) {
      assertEquals(Optional.empty(), none.attachIfKnown(PeerHandle.socket(first.fd())), "reuse is off");
    }
  }

  private static List<String> pidfds() throws IOException {
    return openFds().entrySet().stream().filter(e -> e.getValue().contains("pidfd"))
        .map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
  }

  @Test
  void zeroMaxAgeReadsEveryConnectionInFull() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    everyConnectionIsReadInFull(libc, backend(libc, Duration.ZERO));
  }

  @Test
  void checkingMappedLibrariesReadsEveryConnectionInFull() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = LinuxPeerBackend.builder().libc(libc).checkMappedLibraries(true)
        .reuseProcessFactsFor(LONG).build();
    toClose.add(backend::close);
    everyConnectionIsReadInFull(libc, backend);
  }

  private void everyConnectionIsReadInFull(CountingLinuxLibc libc, LinuxPeerBackend backend) throws Exception {
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath)));
    for (int i = 1; i <= 3; i++) {
      try (PeerProcess p = attach(backend, peer)) {
        assertEquals(i, libc.fullReads(), "connection " + i);
        assertEquals(client.toString(), p.executable().path());
      }
      assertEquals(0, backend.recentProcesses());
      peer = again(live, peer);
    }
    assertEquals(0, libc.exeChecksThroughProcDir.get(), "nothing was looked up as a known process");
  }

  @Test
  void debuggerAttachedAfterTheFirstConnectionWaitsForTheMaxAge() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    try (PeerProcess p1 = attach(backend, first)) {
      assertFalse(p1.risks().traced());
    }
    Process tracer = trace(first.pid());
    try {
      try (PeerProcess p2 = attach(backend, again(live, first))) {
        // pins the documented trade-off (RecentProcesses, Builder.reuseProcessFactsFor): a debugger
        // attached after a full read is seen by the next full read, not by the next connection
        assertEquals(1, libc.fullReads());
        assertFalse(p2.risks().traced(), "served from the read before the debugger came");
      }
      // a full read, as a backend that reuses nothing makes, does see it
      try (PeerProcess p3 = new LinuxPeerBackend(new JnaLinuxLibc()).attach(PeerHandle.socket(first.fd()))) {
        assertTrue(p3.risks().traced(), "the debugger is attached");
      }
    } finally {
      stop(tracer);
    }
  }

  @Test
  void debuggerAttachedAfterTheFirstConnectionIsSeenOnceTheMaxAgeHasPassed() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    Duration maxAge = Duration.ofMillis(50);
    LinuxPeerBackend backend = backend(libc, maxAge);
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    long readAt = System.nanoTime();
    try (PeerProcess p1 = attach(backend, first)) {
      assertFalse(p1.risks().traced());
    }
    Process tracer = trace(first.pid());
    try {
      long waited = System.nanoTime() - readAt;
      if (waited < 2 * maxAge.toNanos()) {
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(2 * maxAge.toNanos() - waited) + 1);
      }
      try (PeerProcess p2 = attach(backend, again(live, first))) {
        assertEquals(2, libc.fullReads(), "the entry was too old: read in full");
        assertTrue(p2.risks().traced(), p2.risks().toString());
        assertEquals(tracer.pid(), p2.risks().tracerPid(), "the tracer is strace (setpriv execs it: the same pid)");
      }
    } finally {
      stop(tracer);
    }
  }

  /** Attaches strace to {@code pid} (as the attacker) and waits until the kernel says it is traced. */
  private Process trace(long pid) throws Exception {
    Path strace = Tools.require("strace");
    Process tracer = new ProcessBuilder(asAttacker(command(strace, "-o", "/dev/null", "-p", pid)))
        .redirectErrorStream(true).redirectOutput(live.dir.resolve("strace.log").toFile()).start();
    Path status = Path.of("/proc", Long.toString(pid), "status");
    for (int i = 0; i < 1000 && !traced(status); i++) {
      Thread.sleep(10);
    }
    if (!traced(status)) {
      stop(tracer);
    }
    assertTrue(traced(status), () -> "strace attached to " + pid + ": " + log("strace.log"));
    return tracer;
  }

  private String log(String name) {
    try {
      return Files.readString(live.dir.resolve(name));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  private static boolean traced(Path status) throws IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("TracerPid:")) {
        return !line.substring(10).trim().equals("0");
      }
    }
    return false;
  }

  @Test
  void processThatDroppedItsIdsHasItsNewIdsAndGroupsOnTheNextConnection() throws Exception {
    Tools.requireRoot("dropping to nobody");
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    List<String> cmd = command(Tools.require("setpriv"), "--groups=100,200", client, live.socketPath);
    LivePeers.Peer first = live.start(cmd);
    try (PeerProcess p1 = attach(backend, first)) {
      assertEquals(0, p1.process().uid());
      assertEquals(0, p1.process().gid());
      assertEquals(List.of(100L, 200L), p1.process().groups());
    }
    int groupReads = libc.peerGroupsCalls.get();
    first.send("drop");
    LivePeers.Peer dropped = live.next(first);
    try (PeerProcess p2 = attach(backend, dropped)) {
      assertEquals(1, libc.fullReads(), "same process, same file: served from the entry");
      assertEquals(groupReads + 1, libc.peerGroupsCalls.get(), "SO_PEERGROUPS was read again");
      assertEquals(65534, p2.process().uid());
      assertEquals(65534, p2.process().gid());
      assertEquals(List.of(), p2.process().groups());
      LinuxLibc.PeerCredentials cred = raw.peerCredentials(dropped.fd());
      assertEquals(cred.uid(), p2.process().uid());
      assertEquals(cred.gid(), p2.process().gid());
      assertEquals(toList(raw.peerGroups(dropped.fd())), p2.process().groups());
    }
  }

  @Test
  void manyProcessesKeepAtMostTheBoundAndCloseReleasesEveryDescriptor() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    connectManyAndAttach(backend, 1); // loads what the first connection loads (classes, jars)
    backend.close();
    Map<String, String> before = openFds();
    // other backends of this JVM (other test classes) may hold some: count only this one's
    int heldBefore = heldProcessDirectories();

    int processes = LinuxPeerBackend.RECENT_PROCESSES + 22;
    int most = connectManyAndAttach(backend, processes);
    assertTrue(most <= LinuxPeerBackend.RECENT_PROCESSES, "at most " + LinuxPeerBackend.RECENT_PROCESSES + ": " + most);
    assertEquals(LinuxPeerBackend.RECENT_PROCESSES, most, "every new process was remembered until the bound");
    int held = heldProcessDirectories() - heldBefore;
    assertEquals(backend.recentProcesses(), held, () -> "one /proc/<pid> descriptor per known process: " + fdLinksQuietly());
    assertTrue(held > 0);
    assertEquals(processes + 1, libc.fullReads(), "each process connected once: each read in full");

    backend.close();
    assertEquals(0, backend.recentProcesses());
    assertEquals(heldBefore, heldProcessDirectories());
    // descriptors opened since, and still open: none (a cleaner may close others meanwhile, so
    // the sets are not compared for equality)
    Map<String, String> opened = new TreeMap<>(openFds());
    opened.entrySet().removeAll(before.entrySet());
    // the JVM's own container support reads cgroup files when it likes (seen under load): not ours
    opened.values().removeIf(target -> target.startsWith("/sys/fs/cgroup/"));
    assertEquals(Map.of(), opened, "descriptors this JVM opened and did not close");
  }

  /** Children of one process connect one after another; returns the most processes known at once. */
  private int connectManyAndAttach(LinuxPeerBackend backend, int count) throws Exception {
    Process spawner = new ProcessBuilder(command(client, live.socketPath, "spawn", count))
        .redirectInput(new File("/dev/null"))
        .redirectErrorStream(true).redirectOutput(live.dir.resolve("spawner.log").toFile()).start();
    int most = 0;
    try {
      for (int i = 0; i < count; i++) {
        try (AFUNIXSocket s = live.accept()) {
          int fd = FileDescriptorCast.using(s.getFileDescriptor()).as(Integer.class);
          try (PeerProcess p = backend.attach(PeerHandle.socket(fd))) {
            assertEquals(client.toString(), p.executable().path());
          }
          most = Math.max(most, backend.recentProcesses());
        }
      }
      assertTrue(spawner.waitFor(20, TimeUnit.SECONDS), "the spawner finished");
      assertEquals(0, spawner.exitValue(), log("spawner.log"));
    } finally {
      stop(spawner);
    }
    return most;
  }

  /** This JVM's open descriptors and what they name, but for the one listing them. */
  private static Map<String, String> openFds() throws IOException {
    Map<String, String> out = new TreeMap<>();
    String listing = "/proc/" + ProcessHandle.current().pid() + "/fd";
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.equals(listing)) {
            out.put(fd.getFileName().toString(), target);
          }
        } catch (IOException closedMeanwhile) {
          // closed while listing
        }
      }
    }
    return out;
  }

  /**
   * Descriptors of this JVM that name a /proc/<pid> directory (what the entries hold), of a live
   * process or of one that exited ("/proc/<pid> (deleted)").
   */
  private static int heldProcessDirectories() throws IOException {
    return (int) fdLinks().stream().filter(t -> t.matches("/proc/\\d+( \\(deleted\\))?")).count();
  }

  private static List<String> fdLinksQuietly() {
    try {
      return fdLinks();
    } catch (IOException e) {
      return List.of(e.toString());
    }
  }

  private static List<String> fdLinks() throws IOException {
    return new ArrayList<>(openFds().values());
  }

  @Test
  void connectionOfAProcessThatExitedIsNeverAllowed() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    attach(backend, first).close();
    LivePeers.Peer second = again(live, first);
    first.kill();
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class, () -> attach(backend, second));
    assertTrue(e.getMessage().contains("exited"), e.getMessage());

    try (PeerVerifier verifier = PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", ImaTestKeys.create(live.dir).certPem).build())
        .policy(Policy.parse("not traced")).backend(backend).build()) {
      Verdict v = verifier.verify(PeerHandle.socket(second.fd()));
      assertFalse(v.isAllowed(), "even under a policy that allows any untraced program: " + v);
      assertTrue(String.join(" ", v.reasons()).contains("exited"), v.reasons().toString());
    }
  }

  @Test
  void processThatExitsRightAfterItsPidfdWasTakenIsNotServedFromItsEntry() throws Exception {
    CountingLinuxLibc libc = new CountingLinuxLibc();
    LinuxPeerBackend backend = backend(libc, LONG);
    LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath)));
    attach(backend, first).close();
    LivePeers.Peer second = again(live, first);
    libc.afterNextPeerPidfd = () -> {
      try {
        first.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    PeerIdentificationException e = assertThrows(PeerIdentificationException.class, () -> attach(backend, second));
    assertFalse(first.process.isAlive());
    assertEquals(1, libc.exeChecksThroughProcDir.get(), "the entry was found, and its check failed");
    assertTrue(e.getMessage().contains("exited"), e.getMessage());
  }

  @Test
  void maxAgeOutsideZeroToTenSecondsIsRefusedWithAReason() {
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ofMillis(-1)));
    assertTrue(negative.getMessage().contains("between 0 and 10 s"), negative.getMessage());
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> LinuxPeerBackend.builder().reuseProcessFactsFor(LONG.plusNanos(1)));
    assertTrue(tooLong.getMessage().contains("between 0 and 10 s"), tooLong.getMessage());
    assertThrows(NullPointerException.class, () -> LinuxPeerBackend.builder().reuseProcessFactsFor(null));
    // the bounds themselves are accepted
    LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ZERO).build().close();
    LinuxPeerBackend.builder().reuseProcessFactsFor(LONG).build().close();
  }

  @Test
  void verifierClosesTheBackendItLoadedButNotOneItWasGiven() throws Exception {
    ImaTestKeys keys = ImaTestKeys.create(live.dir);
    TrustStore trust = TrustStore.builder().trust("vendor", keys.certPem).build();
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath)));

    LinuxPeerBackend given = LinuxPeerBackend.builder().reuseProcessFactsFor(LONG).build();
    toClose.add(given::close);
    PeerVerifier withGiven = PeerVerifier.builder().trustStore(trust).policy(Policy.parse("not traced")).backend(given).build();
    withGiven.verify(PeerHandle.socket(peer.fd()));
    assertEquals(1, given.recentProcesses());
    withGiven.close();
    assertEquals(1, given.recentProcesses(), "a backend given to the verifier is the caller's to close");

    PeerVerifier withLoaded = PeerVerifier.builder().trustStore(trust).policy(Policy.parse("not traced")).build();
    assertTrue(withLoaded.backend() instanceof LinuxPeerBackend, String.valueOf(withLoaded.backend()));
    LinuxPeerBackend loaded = (LinuxPeerBackend) withLoaded.backend();
    withLoaded.verify(PeerHandle.socket(again(live, peer).fd()));
    assertEquals(1, loaded.recentProcesses(), "the loaded backend reuses by default");
    withLoaded.close();
    assertEquals(0, loaded.recentProcesses(), "the verifier closed the backend it loaded");
  }

  private static List<Long> toList(long[] values) {
    List<Long> out = new ArrayList<>();
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
