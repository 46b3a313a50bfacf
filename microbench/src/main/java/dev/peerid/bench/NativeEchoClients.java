package dev.peerid.bench;

import dev.peerid.linux.ima.ImaSigner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peers of {@link HandlerThroughputBenchmark}: N separate single-threaded native processes (a
 * small C program compiled with gcc at start and IMA-signed), so that the server verifies what a
 * real client of such a server is, not the benchmark JVM with its dozens of threads. Each process
 * stays alive across runs and is told over stdin where to connect and for how long; it answers on
 * stdout with its count and every connection's first-byte latency.
 */
final class NativeEchoClients implements AutoCloseable {
  /**
   * One command per line: {@code run MILLIS SOCKETPATH}. Answer: {@code done N ELAPSED_NS FAILURES},
   * N latency lines (ns), {@code end}. A connection that is closed without an echo (a denial) is a
   * failure, not a sample; MSG_NOSIGNAL keeps a write to it from killing the client.
   */
  private static final String SOURCE = """
      #define _GNU_SOURCE
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <time.h>
      #include <unistd.h>
      #include <sys/socket.h>
      #include <sys/un.h>

      static long long now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000000000LL + t.tv_nsec;
      }

      int main(void) {
        char line[4200], path[4097];
        long long ms;
        static char out[1 << 16];
        setvbuf(stdout, out, _IOFBF, sizeof out);
        while (fgets(line, sizeof line, stdin)) {
          int hold = sscanf(line, "hold %4096s", path) == 1;
          if (!hold && sscanf(line, "run %lld %4096s", &ms, path) != 2) { fprintf(stderr, "bad command\\n"); return 2; }
          struct sockaddr_un a;
          memset(&a, 0, sizeof a);
          a.sun_family = AF_UNIX;
          if (strlen(path) >= sizeof a.sun_path) { fprintf(stderr, "path too long\\n"); return 2; }
          strcpy(a.sun_path, path);
          if (hold) {
            int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); return 1; }
            printf("held\\n");
            fflush(stdout);
            if (!fgets(line, sizeof line, stdin)) return 0;
            close(fd);
            printf("released\\n");
            fflush(stdout);
            continue;
          }
          size_t cap = 1 << 16, n = 0;
          long long *lat = malloc(cap * sizeof *lat);
          long failures = 0;
          long long start = now(), end = start + ms * 1000000LL, t0;
          while ((t0 = now()) < end) {
            int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) { perror("socket"); return 1; }
            if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); return 1; }
            char b = 42;
            ssize_t r = send(fd, &b, 1, MSG_NOSIGNAL);
            if (r == 1) r = read(fd, &b, 1);
            close(fd);
            if (r != 1) { failures++; continue; }
            if (n == cap) { cap *= 2; lat = realloc(lat, cap * sizeof *lat); if (!lat) return 1; }
            lat[n++] = now() - t0;
          }
          long long elapsed = now() - start;
          printf("done %zu %lld %ld\\n", n, elapsed, failures);
          for (size_t i = 0; i < n; i++) printf("%lld\\n", lat[i]);
          printf("end\\n");
          fflush(stdout);
          free(lat);
        }
        return 0;
      }
      """;

  private final Path executable;
  private final List<Process> processes = new ArrayList<>();
  /** One reader per client for its whole life: a reader may buffer past the current run's "end". */
  private final Map<Process, BufferedReader> readers = new HashMap<>();
  private long failures;

  private NativeEchoClients(Path executable) {
    this.executable = executable;
  }

  /** Compiles the client into {@code dir} with {@code gcc -O2} and signs it with {@code signer}; returns where the signature went. */
  static Path build(Path dir, ImaSigner signer) throws IOException, InterruptedException, java.security.GeneralSecurityException {
    Path c = dir.resolve("echo-client.c");
    Path exe = dir.resolve("echo-client");
    Files.writeString(c, SOURCE, StandardCharsets.US_ASCII);
    String compiler;
    try {
      compiler = which("gcc");
    } catch (IOException e) {
      throw new IOException(e.getMessage() + "; install gcc, or give the 4th argument jvm to connect from this JVM", e);
    }
    Process gcc = new ProcessBuilder(compiler, "-O2", "-o", exe.toString(), c.toString()).redirectErrorStream(true)
        .start();
    String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
      throw new IOException("gcc failed: " + log);
    }
    try {
      return signer.sign(exe, ImaSigner.Storage.XATTR);
    } catch (IOException e) {
      // not root, or a file system without security.* xattrs: the evmctl sidecar does the same job
      return signer.sign(exe, ImaSigner.Storage.SIDECAR);
    }
  }

  /** Starts {@code count} clients of {@code executable}, with an empty environment (no LD_* from this JVM). */
  static NativeEchoClients start(Path executable, int count) throws IOException {
    NativeEchoClients clients = new NativeEchoClients(executable);
    for (int i = 0; i < count; i++) {
      ProcessBuilder pb = new ProcessBuilder(executable.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().clear();
      clients.processes.add(pb.start());
    }
    return clients;
  }

  Path executable() {
    return executable;
  }

  /** Connections closed without an echo so far, over all runs. */
  long failures() {
    return failures;
  }

  /**
   * The first client connects to {@code socket} and stays connected until {@link #release}: a
   * long-lived peer for measuring one verification alone.
   */
  void hold(Path socket) throws IOException {
    command(processes.get(0), "hold " + socket + "\n");
    expect(processes.get(0), "held");
  }

  void release() throws IOException {
    command(processes.get(0), "release\n");
    expect(processes.get(0), "released");
  }

  private static void command(Process p, String command) throws IOException {
    OutputStream in = p.getOutputStream();
    in.write(command.getBytes(StandardCharsets.US_ASCII));
    in.flush();
  }

  private void expect(Process p, String answer) throws IOException {
    String line = readLine(p);
    if (!line.equals(answer)) {
      throw new IOException("client " + p.pid() + " answered " + line + " instead of " + answer);
    }
  }

  /** All clients connect to {@code socket} for {@code duration}, at the same time. */
  HandlerThroughputBenchmark.Result run(Path socket, Duration duration) throws IOException {
    String command = "run " + duration.toMillis() + " " + socket + "\n";
    for (Process p : processes) {
      command(p, command);
    }
    double rate = 0;
    List<long[]> samples = new ArrayList<>();
    for (Process p : processes) {
      String[] head = readLine(p).split(" ");
      if (head.length != 4 || !head[0].equals("done")) {
        throw new IOException("unexpected answer from client " + p.pid() + ": " + String.join(" ", head));
      }
      int n = Integer.parseInt(head[1]);
      rate += n / (Long.parseLong(head[2]) / 1e9);
      failures += Long.parseLong(head[3]);
      long[] mine = new long[n];
      for (int i = 0; i < n; i++) {
        mine[i] = Long.parseLong(readLine(p));
      }
      expect(p, "end");
      samples.add(mine);
    }
    long[] all = samples.stream().flatMapToLong(Arrays::stream).toArray();
    return new HandlerThroughputBenchmark.Result(rate, all);
  }

  private String readLine(Process p) throws IOException {
    BufferedReader r = readers.computeIfAbsent(p,
        k -> new BufferedReader(new InputStreamReader(k.getInputStream(), StandardCharsets.US_ASCII), 1 << 16));
    String line = r.readLine();
    if (line == null) {
      throw new IOException("client " + p.pid() + " exited" + (p.isAlive() ? "" : " with status " + p.exitValue()));
    }
    return line;
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      try {
        p.getOutputStream().close(); // EOF on stdin: the client exits
      } catch (IOException e) {
        p.destroy();
      }
    }
    for (Process p : processes) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  static String which(String program) throws IOException {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IOException(program + " not found on PATH");
  }
}
