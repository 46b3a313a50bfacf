package dev.peerid.linux;

import static dev.peerid.linux.AttackKit.asAttacker;
import static dev.peerid.linux.AttackKit.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.peerid.MemoryProtection;
import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerIdentity;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Attacks from a user namespace of the attacker's own ({@code unshare -U}, no privilege needed):
 * repointing its own {@code /proc/PID/exe} at the signed file, and mounting its own files over
 * the loader's configuration or the vendor's library. Then what a server may require instead: a
 * peer that other processes of its user cannot write into.
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class AttackNamespaceTest {
  private static final String NAMESPACE_REASON = "user namespace of its own";

  /**
   * The attacker: connects to argv[1], enters a user namespace of its own, where it holds
   * CAP_CHECKPOINT_RESTORE, copies its last steps into anonymous memory, unmaps its own file and
   * points its /proc/PID/exe at argv[2] (prctl PR_SET_MM_MAP with exe_fd), then says EVIL. x86-64.
   */
  static final String EXE_SWAPPER_C = """
      #define _GNU_SOURCE
      #include <fcntl.h>
      #include <sched.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <unistd.h>
      #include <sys/mman.h>
      #include <sys/prctl.h>
      #include <sys/socket.h>
      #include <sys/syscall.h>
      #include <sys/un.h>
      #define SYS(n, a, b, c, d, e) ({ long _r; register long _r10 __asm__("r10") = (long) (d); \\
          register long _r8 __asm__("r8") = (long) (e); \\
          __asm__ volatile ("syscall" : "=a"(_r) : "a"((long) (n)), "D"((long) (a)), "S"((long) (b)), \\
              "d"((long) (c)), "r"(_r10), "r"(_r8) : "rcx", "r11", "memory"); _r; })
      struct job { long ranges[64][2]; long nranges; struct prctl_mm_map map; long sock; char msg[8]; };
      /* runs from anonymous memory: the attacker's own file is unmapped under it */
      __attribute__((section("s2code"), noinline, used)) void stage2(struct job *j) {
        for (long i = 0; i < j->nranges; i++) {
          SYS(__NR_munmap, j->ranges[i][0], j->ranges[i][1] - j->ranges[i][0], 0, 0, 0);
        }
        long r = SYS(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, &j->map, sizeof j->map, 0);
        if (r != 0) {
          SYS(__NR_exit_group, 100 + (-r & 0x3f), 0, 0, 0, 0);
        }
        SYS(__NR_write, j->sock, j->msg, 5, 0, 0);
        for (;;) {
          SYS(__NR_pause, 0, 0, 0, 0, 0);
        }
      }
      extern char __start_s2code[], __stop_s2code[];
      static unsigned long field(const char *stat, int n) {
        const char *p = strrchr(stat, ')') + 2;
        for (int i = 3; i < n; i++) p = strchr(p, ' ') + 1;
        return strtoul(p, NULL, 10);
      }
      int main(int argc, char **argv) {
        if (argc < 3) return 1;
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
        if (connect(s, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); return 2; }
        if (unshare(CLONE_NEWUSER) != 0) { perror("unshare"); return 3; }
        int exe = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (exe < 0) { perror("open"); return 4; }
        struct job *j = mmap(NULL, sizeof *j, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memset(j, 0, sizeof *j);
        char self[4096], line[8192], stat[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) return 5;
        self[n] = 0;
        FILE *maps = fopen("/proc/self/maps", "r");
        while (fgets(line, sizeof line, maps)) {
          unsigned long from, to;
          char *path = strchr(line, '/');
          if (path && sscanf(line, "%lx-%lx", &from, &to) == 2) {
            path[strcspn(path, "\\n")] = 0;
            if (strcmp(path, self) == 0 && j->nranges < 64) {
              j->ranges[j->nranges][0] = from;
              j->ranges[j->nranges][1] = to;
              j->nranges++;
            }
          }
        }
        fclose(maps);
        int sf = open("/proc/self/stat", O_RDONLY);
        n = read(sf, stat, sizeof stat - 1);
        close(sf);
        stat[n > 0 ? n : 0] = 0;
        j->map.start_code = field(stat, 26);
        j->map.end_code = field(stat, 27);
        j->map.start_stack = field(stat, 28);
        j->map.start_data = field(stat, 45);
        j->map.end_data = field(stat, 46);
        j->map.start_brk = field(stat, 47);
        j->map.brk = (unsigned long) sbrk(0);
        j->map.arg_start = field(stat, 48);
        j->map.arg_end = field(stat, 49);
        j->map.env_start = field(stat, 50);
        j->map.env_end = field(stat, 51);
        j->map.exe_fd = exe;
        j->sock = s;
        memcpy(j->msg, "EVIL\\n", 5);
        size_t size = __stop_s2code - __start_s2code;
        char *code = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(code, __start_s2code, size);
        ((void (*)(struct job *)) (code + ((char *) stage2 - __start_s2code)))(j);
        return 0;
      }
      """;

  /** A preloaded library that puts its own words in the signed client's mouth. */
  static final String EVIL_DPRINTF_C = """
      #include <unistd.h>
      int dprintf(int fd, const char *format, ...) { return (int) write(fd, "EVIL\\n", 5); }
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
    client = AttackKit.signedClient(live, keys);
  }

  @AfterEach
  void tearDown() throws Exception {
    verifier.close();
    live.close();
  }

  private PeerVerifier verifier(String policy) throws Exception {
    return AttackKit.verifier(keys, policy);
  }

  private static String reasons(Verdict v) {
    return String.join(" | ", v.reasons());
  }

  @Test
  void peerThatPointedItsOwnExeAtTheSignedFileIsDenied() throws Exception {
    assumeTrue("amd64".equals(System.getProperty("os.arch")), "the attacker's last steps are x86-64 system calls");
    AttackKit.requireUserNamespaces();
    Path tools = AttackKit.attackerDir(live, "tools");
    Path swapper = AttackKit.compile(tools, "swapper", EXE_SWAPPER_C, "-fno-stack-protector");
    AttackKit.makeReadable(swapper);
    LivePeers.Peer peer = live.start(asAttacker(command(swapper, live.socketPath, client)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the attacker's code talks on the connection");
    assertEquals(client.toRealPath(), Files.readSymbolicLink(Path.of("/proc", Long.toString(peer.pid()), "exe")),
        "the kernel now names the signed client as the attacker's executable");

    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    PeerIdentity id = v.identity().orElseThrow();
    assertTrue(id.risks().namespaced(), id.risks().toString());
    assertFalse(v.isAllowed(), "an unsigned program that renamed its own executable is served: " + v);
    assertTrue(reasons(v).contains(NAMESPACE_REASON) && reasons(v).contains("PR_SET_MM"), reasons(v));

    // what the default denial stands between: on its executable's word, the attacker is the vendor
    try (PeerVerifier optedIn = verifier(AttackKit.POLICY + " and namespaced")) {
      Verdict naive = optedIn.verify(PeerHandle.socket(peer.fd()));
      assertEquals(SignatureStatus.VALID, naive.identity().orElseThrow().signature().status());
      assertTrue(naive.isAllowed(), naive.toString());
    }
    // the strict backend sees the code it runs instead: anonymous executable memory
    try (PeerVerifier strict = PeerVerifier.builder().trustStore(trust()).policy(Policy.parse(AttackKit.POLICY
        + " and namespaced")).backend(LinuxPeerBackend.checkingMappedLibraries()).build()) {
      Verdict s = strict.verify(PeerHandle.socket(peer.fd()));
      assertFalse(s.isAllowed(), s.toString());
      assertTrue(reasons(s).contains("anonymous:"), reasons(s));
    }
  }

  private TrustStore trust() throws Exception {
    return TrustStore.builder().trust("vendor", keys.certPem).build();
  }

  @Test
  void signedClientWithALoaderPreloadMountedInItsOwnNamespaceIsDenied() throws Exception {
    AttackKit.requireUserNamespaces();
    Path tools = AttackKit.attackerDir(live, "tools");
    Path evil = AttackKit.library(tools, "libevil.so", EVIL_DPRINTF_C);
    AttackKit.makeReadable(evil);
    String script = "mount -t tmpfs tmpfs /etc && echo " + evil + " > /etc/ld.so.preload && exec " + client + " "
        + live.socketPath;
    LivePeers.Peer peer = live.start(asAttacker(command(Tools.require("unshare"), "-U", "-r", "-m",
        Tools.require("sh"), "-c", script)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "the preloaded library speaks for the signed client");

    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status(), "the file is the vendor's");
    assertTrue(v.identity().orElseThrow().risks().injectedLibraries().isEmpty(), "no environment variable shows it");
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(reasons(v).contains(NAMESPACE_REASON), reasons(v));
    assertTrue(v.identity().orElseThrow().risks().namespaces().ownMount());
  }

  @Test
  void signedClientLoadingALibraryMountedOverTheVendorsIsDenied() throws Exception {
    AttackKit.requireUserNamespaces();
    Path vendor = client.getParent();
    Path library = AttackKit.library(vendor, "libvendor.so", AttackKit.LIBVENDOR_C);
    Path withLibrary = AttackKit.compile(vendor, "libclient", AttackKit.CLIENT_C, "-DWITH_LIB", "-L" + vendor,
        "-lvendor", "-Wl,--enable-new-dtags,-rpath,$ORIGIN");
    keys.signSidecar(withLibrary);
    Path tools = AttackKit.attackerDir(live, "tools");
    Path evil = AttackKit.library(tools, "libvendor.so", AttackKit.EVIL_LIBVENDOR_C);
    AttackKit.makeReadable(evil, library, withLibrary);
    String script = "mount --bind " + evil + " " + library + " && exec " + withLibrary + " " + live.socketPath;
    LivePeers.Peer peer = live.start(asAttacker(command(Tools.require("unshare"), "-U", "-r", "-m",
        Tools.require("sh"), "-c", script)));
    assertEquals("EVIL", AttackKit.firstLine(peer), "$ORIGIN found the attacker's library");

    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertEquals(SignatureStatus.VALID, v.identity().orElseThrow().signature().status());
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(reasons(v).contains(NAMESPACE_REASON), reasons(v));
  }

  @Test
  void fileMountedOverTheVendorsPathDoesNotMatchThePathEvenWithTheOptIn() throws Exception {
    AttackKit.requireUserNamespaces();
    Path tools = AttackKit.attackerDir(live, "tools");
    Path unsigned = AttackKit.compile(tools, "client", AttackKit.CLIENT_C.replace("\"vendor\"", "\"EVIL\""));
    AttackKit.makeReadable(unsigned, client);
    String script = "mount --bind " + unsigned + " " + client + " && exec " + client + " " + live.socketPath;
    LivePeers.Peer peer = live.start(asAttacker(command(Tools.require("unshare"), "-U", "-r", "-m",
        Tools.require("sh"), "-c", script)));
    assertEquals("EVIL", AttackKit.firstLine(peer));
    try (PeerVerifier byPath = verifier("namespaced and path = \"" + client.toRealPath() + "\"")) {
      Verdict v = byPath.verify(PeerHandle.socket(peer.fd()));
      PeerIdentity id = v.identity().orElseThrow();
      assertEquals(client.toRealPath().toString(), id.executable().path(), "the kernel reports the vendor's path");
      assertFalse(id.executable().pathNamesTheFile());
      assertFalse(v.isAllowed(), v.toString());
      assertTrue(reasons(v).contains("is not the file the peer runs where the server looks it up"), reasons(v));
      // nor is the vendor's sidecar, found at that path where the server looks, taken for this file's
      assertEquals(SignatureStatus.UNSIGNED, id.signature().status(), id.signature().toString());
      assertTrue(String.join(" ", id.signature().reasons()).contains("no .sig sidecar was looked for"),
          id.signature().reasons().toString());
    }
  }

  @Test
  void signedClientThatEntersAUserNamespaceAfterItsFirstConnectionIsDeniedOnTheNext() throws Exception {
    AttackKit.requireUserNamespaces();
    LinuxPeerBackend backend = LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ofSeconds(10)).build();
    try (PeerVerifier reusing = PeerVerifier.builder().trustStore(trust()).policy(Policy.parse(AttackKit.POLICY))
        .backend(backend).build()) {
      LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath, "unshare-later")));
      assertEquals("vendor", AttackKit.firstLine(first));
      Verdict before = reusing.verify(PeerHandle.socket(first.fd()));
      assertTrue(before.isAllowed(), before.toString());
      assertEquals(1, backend.recentProcesses(), "its facts are kept for its next connections");
      first.send("go");
      LivePeers.Peer second = live.next(first);
      assertEquals("vendor", AttackKit.firstLine(second));
      Verdict after = reusing.verify(PeerHandle.socket(second.fd()));
      assertFalse(after.isAllowed(), "the facts read before it entered a namespace of its own were reused: " + after);
      assertTrue(reasons(after).contains(NAMESPACE_REASON), reasons(after));
    }
  }

  @Test
  void sessionOfAClientThatEntersAUserNamespaceOfItsOwnIsNoLongerValid() throws Exception {
    AttackKit.requireUserNamespaces();
    LivePeers.Peer peer = live.start(asAttacker(command(client, live.socketPath, "unshare-later")));
    assertEquals("vendor", AttackKit.firstLine(peer));
    try (PeerSession session = verifier.open(PeerHandle.socket(peer.fd()))) {
      assertTrue(session.verdict().isAllowed(), session.verdict().toString());
      session.revalidate();
      peer.send("go");
      AttackKit.firstLine(live.next(peer)); // it has entered its own namespace by the time it greets again
      PeerIdentificationException e = assertThrows(PeerIdentificationException.class, session::revalidate);
      assertTrue(e.getMessage().contains("entered a user namespace of its own"), e.getMessage());
    }
  }

  @Test
  void signedClientInAUserNamespaceIsAllowedOnlyWithTheOptIn() throws Exception {
    AttackKit.requireUserNamespaces();
    LivePeers.Peer peer = live.start(asAttacker(command(Tools.require("unshare"), "-U", "-r", client,
        live.socketPath)));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    assertFalse(v.isAllowed(), v.toString());
    assertTrue(reasons(v).contains(NAMESPACE_REASON), reasons(v));
    try (PeerVerifier optedIn = verifier(AttackKit.POLICY + " and namespaced and path = \"" + client.toRealPath()
        + "\"")) {
      Verdict allowed = optedIn.verify(PeerHandle.socket(peer.fd()));
      assertTrue(allowed.isAllowed(), allowed.toString());
      assertTrue(reasons(allowed).contains("peer in a user namespace of its own allowed by the policy"),
          reasons(allowed));
      assertEquals(MemoryProtection.UNPROTECTED, allowed.identity().orElseThrow().risks().protection(),
          "its user owns its namespace, so its user can write into it");
    }
  }

  @Test
  void signedServiceWithOnlyAPrivateMountNamespaceIsAllowed() throws Exception {
    assumeTrue(AttackKit.isRoot(), "making a mount namespace without a user namespace needs root (as systemd does)");
    Path unshare = Tools.require("unshare");
    // as systemd starts a service with PrivateTmp=: a mount namespace of its own with a tmpfs of its
    // own (here over a directory of the test's, since the checkout itself may live under /tmp), then its user
    Path privateTmp = Files.createDirectory(live.dir.resolve("private-tmp"));
    LivePeers.Peer peer = live.start(command(unshare, "-m", "--propagation", "private", "sh", "-c",
        "mount -t tmpfs tmpfs " + privateTmp + " && exec " + String.join(" ", asAttacker(command(client,
            live.socketPath)))));
    assertEquals("vendor", AttackKit.firstLine(peer));
    Verdict v = verifier.verify(PeerHandle.socket(peer.fd()));
    PeerIdentity id = v.identity().orElseThrow();
    assertTrue(id.risks().namespaces().ownMount(), id.risks().toString());
    assertFalse(id.risks().namespaced(), id.risks().toString());
    assertTrue(id.executable().pathNamesTheFile());
    assertTrue(v.isAllowed(), v.toString());
  }

  @Test
  void nonDumpableSignedClientIsProtectedAndItsUsersWriterFails() throws Exception {
    assumeTrue(AttackKit.isRoot(), "a non-dumpable peer's /proc entries are root's: identifying it needs CAP_SYS_PTRACE");
    try (PeerVerifier requiring = verifier(AttackKit.POLICY + " and protected")) {
      LivePeers.Peer plain = live.start(asAttacker(command(client, live.socketPath)));
      AttackKit.firstLine(plain);
      Verdict unprotected = requiring.verify(PeerHandle.socket(plain.fd()));
      assertFalse(unprotected.isAllowed(), unprotected.toString());
      assertTrue(reasons(unprotected).contains("protected does not hold"), reasons(unprotected));
      assertTrue(canWriteMemory(plain.pid()), "a process of the same user writes into a dumpable client");

      LivePeers.Peer guarded = live.start(asAttacker(command(client, live.socketPath, "nodump")));
      AttackKit.firstLine(guarded);
      for (int i = 0; i < 2; i++) { // once read in full, once from the facts kept for it
        Verdict v = requiring.verify(PeerHandle.socket(guarded.fd()));
        assertEquals(MemoryProtection.PROTECTED, v.identity().orElseThrow().risks().protection());
        assertTrue(v.isAllowed(), v.toString());
      }
      assertFalse(canWriteMemory(guarded.pid()), "a process of the same user cannot write into a non-dumpable one");
    }
  }

  @Test
  void protectedClientThatMakesItselfDumpableAgainIsNoLongerProtectedOnItsNextConnection() throws Exception {
    assumeTrue(AttackKit.isRoot(), "a non-dumpable peer's /proc entries are root's: identifying it needs CAP_SYS_PTRACE");
    LinuxPeerBackend backend = LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ofSeconds(10)).build();
    try (PeerVerifier reusing = PeerVerifier.builder().trustStore(trust())
        .policy(Policy.parse(AttackKit.POLICY + " and protected")).backend(backend).build()) {
      LivePeers.Peer first = live.start(asAttacker(command(client, live.socketPath, "redump")));
      assertEquals("vendor", AttackKit.firstLine(first));
      Verdict before = reusing.verify(PeerHandle.socket(first.fd()));
      assertTrue(before.isAllowed(), before.toString());
      first.send("go");
      LivePeers.Peer second = live.next(first);
      assertEquals("vendor", AttackKit.firstLine(second));
      assertEquals(1, backend.recentProcesses(), "its facts are kept");
      Verdict after = reusing.verify(PeerHandle.socket(second.fd()));
      assertEquals(MemoryProtection.UNPROTECTED, after.identity().orElseThrow().risks().protection());
      assertFalse(after.isAllowed(), "a protected verdict reused after the client made itself dumpable: " + after);
      assertTrue(canWriteMemory(second.pid()), "a process of the same user can write into it now");
    }
  }

  /** Whether a process of the attacker's user can open the peer's memory for writing. */
  private static boolean canWriteMemory(long pid) throws Exception {
    String code = "import sys\ntry:\n  open('/proc/%d/mem' % int(sys.argv[1]), 'r+b').close()\n  print('wrote')\n"
        + "except OSError as e:\n  print('refused', e)\n";
    Process p = new ProcessBuilder(asAttacker(command(Tools.python(), "-c", code, pid))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    return out.startsWith("wrote");
  }
}
