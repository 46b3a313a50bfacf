package dev.peerid.netty;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An allowed but hostile client: a small C program compiled at test time (nothing binary is
 * committed) and signed with the vendor key, so that the server's policy lets it in. It runs as
 * {@code nobody} (uid 65534) when the tests run as root, so that its uid differs from the honest
 * clients'; such tests need root and skip without it (a failure under CI=true).
 *
 * <ul>
 *   <li>{@code hold SOCKET N}: opens N connections at once (non-blocking connects, so the server
 *       verifies them concurrently), sends nothing;</li>
 *   <li>{@code pipeline SOCKET N REQUEST}: one connection, writes REQUEST N times and never reads
 *       (stops when the socket stays full for 3 s).</li>
 * </ul>
 * Then, for every line on its stdin, it prints {@code open K}: how many of its connections the
 * server has not closed (a closed one reads as end of file or a refusal); it exits on end of input.
 */
public final class HostileClients {
  public static final int NOBODY = 65534;

  static final String SOURCE = """
      #define _GNU_SOURCE
      #include <errno.h>
      #include <poll.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <time.h>
      #include <unistd.h>
      #include <sys/socket.h>
      #include <sys/un.h>
      static int dial(const char *path) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (s < 0) return -1;
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        for (int tries = 0; tries < 200; tries++) {
          if (connect(s, (struct sockaddr *) &a, sizeof a) == 0) return s;
          if (errno != EAGAIN) break;
          usleep(5000); /* backlog full: the server is busy accepting */
        }
        close(s);
        return -1;
      }
      static long now_ms(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
      }
      static int still_open(int *fds, int n) {
        int open = 0;
        for (int i = 0; i < n; i++) {
          if (fds[i] < 0) continue;
          struct pollfd p = { fds[i], POLLIN, 0 };
          if (poll(&p, 1, 0) == 1) { close(fds[i]); fds[i] = -1; continue; }
          open++;
        }
        return open;
      }
      int main(int argc, char **argv) {
        if (argc < 4) { fprintf(stderr, "usage: hold SOCKET N | pipeline SOCKET N REQUEST\\n"); return 2; }
        int n = atoi(argv[3]);
        int *fds = calloc(n > 0 ? n : 1, sizeof *fds);
        int count = 0;
        if (strcmp(argv[1], "hold") == 0) {
          for (int i = 0; i < n; i++) fds[count++] = dial(argv[2]);
        } else if (strcmp(argv[1], "pipeline") == 0 && argc > 4) {
          int s = dial(argv[2]);
          if (s < 0) { perror("connect"); return 3; }
          fds[count++] = s;
          size_t len = strlen(argv[4]);
          long sent = 0, stuck_since = -1;
          for (int i = 0; i < n; ) {
            ssize_t w = write(s, argv[4], len); /* requests are small: written whole or not at all */
            if (w == (ssize_t) len) { sent += w; i++; stuck_since = -1; continue; }
            if (w > 0) { sent += w; i++; continue; }
            if (errno != EAGAIN) break;
            if (stuck_since < 0) stuck_since = now_ms();
            if (now_ms() - stuck_since > 3000) break;
            usleep(10000);
          }
          printf("sent %ld\\n", sent);
        } else {
          return 2;
        }
        printf("ready\\n");
        fflush(stdout);
        char line[64];
        while (fgets(line, sizeof line, stdin)) {
          printf("open %d\\n", still_open(fds, count));
          fflush(stdout);
        }
        return 0;
      }
      """;

  private HostileClients() {}

  /** True when the tests can run a second uid (root, with setpriv to drop to nobody). */
  public static boolean canRunAsNobody() {
    return "root".equals(System.getProperty("user.name")) && Tools.find("setpriv") != null;
  }

  /**
   * Skips for an ordinary user (only root may become nobody); as root, setpriv missing is a skip,
   * a failure under CI=true.
   */
  public static void requireNobody() {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "running the hostile client as nobody (a second uid) needs root; skipped for an ordinary user");
    Tools.require(canRunAsNobody(), "setpriv (to run the hostile client as nobody, a second uid)");
  }

  /**
   * Compiles the hostile client into {@code dir/bin/hostile-client}, signs it with the vendor key and
   * makes it (and the way to it) readable and executable by nobody.
   */
  public static Path build(Path dir, SignedClients clients) throws Exception {
    Path gcc = Tools.tool("gcc");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path c = dir.resolve("hostile-client.c");
    Files.writeString(c, SOURCE);
    Path exe = bin.resolve("hostile-client");
    Tools.run(Tools.cmd(gcc, "-O1", "-o", exe, c));
    Files.delete(c);
    SignedClients.sign(Tools.tool("evmctl"), clients.key, exe);
    openUp(dir, bin, exe);
    if (Files.exists(Path.of(exe + ".sig"))) {
      Files.setPosixFilePermissions(Path.of(exe + ".sig"), PosixFilePermissions.fromString("rw-r--r--"));
    }
    return exe;
  }

  /** Lets another user reach, read and execute these (directories, binaries, a socket: 0777/0755). */
  public static void openUp(Path... paths) throws IOException {
    for (Path p : paths) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
          Files.isDirectory(p) || Files.getAttribute(p, "unix:mode") instanceof Integer m && (m & 0170000) == 0140000
              ? "rwxrwxrwx" : "rwxr-xr-x"));
    }
  }

  /** {@code command} run as nobody (uid and gid 65534, no supplementary groups). */
  public static List<String> asNobody(List<String> command) {
    List<String> out = new ArrayList<>(List.of(Tools.tool("setpriv").toString(),
        "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
    out.addAll(command);
    return out;
  }

  /** A running hostile client; {@link #close()} ends it (end of its input, then a kill). */
  public static final class Run implements AutoCloseable {
    public final Process process;
    private final BufferedReader out;
    private final OutputStream in;

    private Run(Process process) {
      this.process = process;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = process.getOutputStream();
    }

    /** Waits for the client's "ready" line; returns the lines before it (e.g. "sent BYTES"). */
    public List<String> awaitReady() throws IOException {
      List<String> lines = new ArrayList<>();
      for (String l = out.readLine(); l != null; l = out.readLine()) {
        if (l.equals("ready")) {
          return lines;
        }
        lines.add(l);
      }
      throw new AssertionError("the hostile client exited before it was ready: " + lines);
    }

    /** How many of its connections the server still keeps open. */
    public int openConnections() throws IOException {
      in.write('\n');
      in.flush();
      String l = out.readLine();
      if (l == null || !l.startsWith("open ")) {
        throw new AssertionError("unexpected answer from the hostile client: " + l);
      }
      return Integer.parseInt(l.substring(5));
    }

    @Override
    public void close() throws IOException, InterruptedException {
      try {
        in.close();
      } catch (IOException ignored) {
        // it may have exited already
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      out.close();
      process.getErrorStream().close();
    }
  }

  /** Starts {@code exe hold SOCKET n} as nobody. */
  public static Run hold(Path exe, Path socket, int n) throws IOException {
    return start(Tools.cmd(exe, "hold", socket, n));
  }

  /** Starts {@code exe pipeline SOCKET n REQUEST} as nobody. */
  public static Run pipeline(Path exe, Path socket, int n, String request) throws IOException {
    return start(Tools.cmd(exe, "pipeline", socket, n, request));
  }

  private static Run start(List<String> command) throws IOException {
    return new Run(new ProcessBuilder(asNobody(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start());
  }
}
