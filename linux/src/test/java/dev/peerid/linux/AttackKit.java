package dev.peerid.linux;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * What the Attack*Test classes share: the attacker's programs (small C sources compiled with gcc
 * at test time, so nothing binary is committed), a way to run them as an ordinary user, and the
 * server's side (a verifier that trusts one throwaway key).
 */
final class AttackKit {
  static final String POLICY = "signed by \"vendor\"";

  /**
   * The vendor's client: connects to argv[1], sends its greeting, waits. {@code handoff PROG ...}
   * gives the connection (as fd 3) to PROG and stays alive ({@code handoff-exit}: and exits);
   * {@code wait} reads a line from stdin before greeting; {@code thread} starts a second thread;
   * {@code nodump} makes itself non-dumpable before it connects; {@code unshare-later} greets,
   * waits for a line on stdin, enters a user namespace of its own and connects and greets again;
   * {@code redump} is {@code nodump} that, after the line, makes itself dumpable again and connects
   * and greets again.
   * Built with {@code -DWITH_LIB} the greeting comes from libvendor.so, found through RUNPATH $ORIGIN.
   * {@code --fd3} (as argv[1]) greets over an inherited connection, fd 3, instead of connecting;
   * {@code exec-later PROG ...} greets, waits for a line on stdin, then execs PROG with the
   * connection as fd 3; {@code pass PATH} connects, gives the connection over {@code SCM_RIGHTS} to
   * whoever listens on PATH, closes its own copy and stays alive.
   */
  static final String CLIENT_C = """
      #define _GNU_SOURCE
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <unistd.h>
      #include <sys/socket.h>
      #include <sys/un.h>
      #include <pthread.h>
      #include <sched.h>
      #include <sys/prctl.h>
      static void *idle(void *arg) { for (;;) pause(); return arg; }
      #ifdef WITH_LIB
      const char *vendor_greeting(void);
      #else
      static const char *vendor_greeting(void) { return "vendor"; }
      #endif
      static int dial(const char *path) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        if (connect(s, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); exit(2); }
        return s;
      }
      static void pass(int s, const char *path) {
        int t = dial(path);
        char byte = 'x';
        struct iovec iov = { &byte, 1 };
        char control[CMSG_SPACE(sizeof(int))];
        memset(control, 0, sizeof control);
        struct msghdr m = { 0 };
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &s, sizeof(int));
        if (sendmsg(t, &m, 0) != 1) { perror("sendmsg"); exit(6); }
        close(s);
      }
      int main(int argc, char **argv) {
        if (argc > 1 && strcmp(argv[1], "--fd3") == 0) {
          dprintf(3, "%s\\n", vendor_greeting());
          for (;;) pause();
        }
        int later = argc > 2 && (strcmp(argv[2], "unshare-later") == 0 || strcmp(argv[2], "redump") == 0);
        if (argc > 2 && (strcmp(argv[2], "nodump") == 0 || strcmp(argv[2], "redump") == 0)
            && prctl(PR_SET_DUMPABLE, 0) != 0) { perror("prctl"); return 4; }
        int s = dial(argv[1]);
        if (later) {
          char line[16];
          dprintf(s, "%s\\n", vendor_greeting());
          if (read(0, line, sizeof line) < 0) return 3;
          if (argv[2][0] == 'u' && unshare(CLONE_NEWUSER) != 0) { perror("unshare"); return 5; }
          if (argv[2][0] == 'r' && prctl(PR_SET_DUMPABLE, 1) != 0) { perror("prctl"); return 6; }
          s = dial(argv[1]);
        }
        if (argc > 3 && strncmp(argv[2], "handoff", 7) == 0) {
          if (fork() == 0) { dup2(s, 3); execv(argv[3], argv + 3); _exit(127); }
          close(s);
          if (strcmp(argv[2], "handoff-exit") == 0) return 0;
          for (;;) pause();
        }
        if (argc > 3 && strcmp(argv[2], "exec-later") == 0) {
          char line[16];
          dprintf(s, "%s\\n", vendor_greeting());
          if (read(0, line, sizeof line) < 0) return 3;
          dup2(s, 3);
          execv(argv[3], argv + 3);
          return 127;
        }
        if (argc > 3 && strcmp(argv[2], "pass") == 0) {
          pass(s, argv[3]);
          for (;;) pause();
        }
        if (argc > 2 && strcmp(argv[2], "thread") == 0) {
          pthread_t t;
          pthread_create(&t, NULL, idle, NULL);
        }
        if (argc > 2 && strcmp(argv[2], "wait") == 0) {
          char line[16];
          if (read(0, line, sizeof line) < 0) return 3;
        }
        dprintf(s, "%s\\n", vendor_greeting());
        for (;;) pause();
      }
      """;

  /** The vendor's library. */
  static final String LIBVENDOR_C = "const char *vendor_greeting(void) { return \"vendor\"; }\n";

  /** The attacker's drop-in for it. */
  static final String EVIL_LIBVENDOR_C = "const char *vendor_greeting(void) { return \"EVIL\"; }\n";

  /** An LD_PRELOAD library that hides itself: it overwrites its own LD_PRELOAD= in the initial environment. */
  static final String SCRUBBING_PRELOAD_C = """
      #include <string.h>
      extern char **environ;
      __attribute__((constructor)) static void scrub(void) {
        for (char **e = environ; *e; e++) {
          if (strncmp(*e, "LD_PRELOAD=", 11) == 0) {
            memset(*e, 'X', strlen(*e));
          }
        }
      }
      """;

  /** A minimal rtld-audit module. */
  static final String AUDIT_C = "unsigned int la_version(unsigned int v) { return v; }\n";

  private AttackKit() {}

  /** The server: trusts only the test key, under the name "vendor". */
  static PeerVerifier verifier(ImaTestKeys keys, String policy) throws Exception {
    return PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(policy))
        .build();
  }

  /** The same, with a backend that also checks the peer's mapped libraries. */
  static PeerVerifier strictVerifier(ImaTestKeys keys, String policy) throws Exception {
    return PeerVerifier.builder()
        .trustStore(TrustStore.builder().trust("vendor", keys.certPem).build())
        .policy(Policy.parse(policy))
        .backend(LinuxPeerBackend.checkingMappedLibraries())
        .build();
  }

  /** Compiles {@code source} with gcc into {@code dir/name} (a skip locally, a failure under CI=true without gcc). */
  static Path compile(Path dir, String name, String source, String... flags) throws Exception {
    Path gcc = Tools.require("gcc");
    Path c = dir.resolve(name + ".c");
    Files.writeString(c, source);
    Path out = dir.resolve(name);
    List<String> cmd = new ArrayList<>(List.of(gcc.toString(), "-O1", "-o", out.toString(), c.toString()));
    cmd.addAll(List.of(flags));
    Tools.run(cmd);
    Files.delete(c);
    return out;
  }

  /** A shared library built from {@code source}. */
  static Path library(Path dir, String name, String source) throws Exception {
    return compile(dir, name, source, "-shared", "-fPIC");
  }

  /**
   * The command run as the attacker: an ordinary user (nobody) when the tests run as root, as in
   * CI; unchanged otherwise (then the tests already run as an ordinary user).
   */
  static List<String> asAttacker(List<String> command) {
    if (!isRoot()) {
      return command;
    }
    Path setpriv = Tools.require("setpriv");
    List<String> out = new ArrayList<>(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups"));
    out.addAll(command);
    return out;
  }

  /**
   * Skips locally, fails under CI=true, unless the attacker may create a user namespace of its own
   * ({@code unshare -U -r}, as most distributions let any user).
   */
  static void requireUserNamespaces() throws Exception {
    Path unshare = Tools.require("unshare");
    Process p = new ProcessBuilder(asAttacker(command(unshare, "-U", "-r", "-m", "true"))).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
      String msg = "an ordinary user cannot create user namespaces here (unshare -U -r -m: " + out.trim() + ")";
      if (Tools.ci()) {
        org.junit.jupiter.api.Assertions.fail(msg);
      }
      org.junit.jupiter.api.Assumptions.assumeTrue(false, msg);
    }
  }

  static boolean isRoot() {
    return Tools.root();
  }

  /** A server socket the attacker (another user) may connect to, in a directory it may write. */
  static LivePeers openLive() throws IOException {
    LivePeers live = new LivePeers();
    openUp(live);
    return live;
  }

  /** The vendor's client ({@link #CLIENT_C}) in {@code live}'s {@code vendor/}, signed with {@code keys} (sidecar). */
  static Path signedClient(LivePeers live, ImaTestKeys keys) throws Exception {
    Path vendor = Files.createDirectory(live.dir.resolve("vendor"));
    Path client = compile(vendor, "client", CLIENT_C);
    keys.signSidecar(client);
    return client;
  }

  /** Lets the attacker (another user) connect to the server's socket and write in its directory. */
  static void openUp(LivePeers live) throws IOException {
    Files.setPosixFilePermissions(live.socketPath, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(live.dir, PosixFilePermissions.fromString("rwxrwxrwx"));
  }

  /** A directory the attacker owns and controls. */
  static Path attackerDir(LivePeers live, String name) throws IOException {
    Path d = Files.createDirectory(live.dir.resolve(name));
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
    return d;
  }

  /** The first line the peer sent over its connection (what code actually runs there). */
  static String firstLine(LivePeers.Peer peer) throws IOException {
    peer.socket.setSoTimeout(20_000);
    BufferedReader r = new BufferedReader(new InputStreamReader(peer.socket.getInputStream(), StandardCharsets.UTF_8));
    return r.readLine();
  }

  /** True when /proc/PID/maps shows {@code file} mapped into the process. */
  static boolean maps(long pid, Path file) throws IOException {
    return Files.readString(Path.of("/proc", Long.toString(pid), "maps")).contains(file.toString());
  }

  static List<String> command(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object p : parts) {
      out.add(p.toString());
    }
    return out;
  }

  static void makeReadable(Path... files) throws IOException {
    for (Path f : files) {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }
}
