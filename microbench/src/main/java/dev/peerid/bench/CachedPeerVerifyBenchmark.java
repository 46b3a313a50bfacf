package dev.peerid.bench;

import dev.peerid.PeerHandle;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import dev.peerid.linux.LinuxPeerBackend;
import dev.peerid.spi.PeerProcess;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The cost of verifying a live peer whose executable is already in the cache (goal: median under
 * 20 µs): a child process (curl, a native binary) connects over a Unix socket and stays connected;
 * the same socket is verified again and again. Printed side by side with the cheapest possible
 * peer lookup (junixsocket's SO_PEERCRED) and with the backend's own steps, and, when strace is
 * installed, the system calls one verification costs.
 *
 * <p>Run: {@code java -cp <microbench class path> dev.peerid.bench.CachedPeerVerifyBenchmark [iterations]}
 */
public final class CachedPeerVerifyBenchmark {
  private CachedPeerVerifyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    Path dir = Files.createTempDirectory("peerid-bench");
    Path sock = dir.resolve("bench.sock");
    String client = which("curl");
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock.toFile()))) {
      Process child = new ProcessBuilder(client, "-s", "-m", "600", "--unix-socket", sock.toString(), "http://bench/")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try (AFUNIXSocket conn = server.accept()) {
        int fd = FileDescriptorCast.using(conn.getFileDescriptor()).as(Integer.class);
        PeerHandle handle = PeerHandle.socket(fd);
        run(iterations, handle, conn, child);
      } finally {
        child.destroyForcibly();
        child.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      Files.deleteIfExists(sock);
      Files.deleteIfExists(dir);
    }
  }

  private static void run(int iterations, PeerHandle handle, AFUNIXSocket conn, Process child) throws Exception {
    // the default backend reuses a full read of the peer for its next connections (100 ms); the
    // other reads every connection's peer in full, as the default did before
    LinuxPeerBackend backend = new LinuxPeerBackend();
    LinuxPeerBackend fullReads = LinuxPeerBackend.builder().reuseProcessFactsFor(Duration.ZERO).build();
    backend.ensureSupported();
    System.out.printf(Locale.ROOT, "peer: pid %d (%s), %d iterations per figure, %s%n", child.pid(),
        child.info().command().orElse("?"), iterations, System.getProperty("java.vm.name") + " "
            + Runtime.version());

    List<Row> rows = new ArrayList<>();
    rows.add(measure("junixsocket getPeerCredentials (SO_PEERCRED only)", iterations, () -> conn.getPeerCredentials()));
    rows.add(measure("backend attach + close, every peer read in full", iterations,
        () -> fullReads.attach(handle).close()));
    rows.add(measure("backend attach + close (default: recent process reused)", iterations,
        () -> backend.attach(handle).close()));
    LinuxPeerBackend strict = LinuxPeerBackend.checkingMappedLibraries();
    rows.add(measure("backend attach + close, strict (maps, code in memory)", iterations / 4,
        () -> strict.attach(handle).close()));
    try (PeerProcess p = backend.attach(handle)) {
      rows.add(measure("backend confirmUnchanged", iterations, p::confirmUnchanged));
    }
    PeerVerifier full = verifier(fullReads);
    PeerVerifier verifier = verifier(backend);
    Verdict first = verifier.verify(handle); // fills the cache
    full.verify(handle);
    System.out.println("first verdict: " + (first.isAllowed() ? "allow" : "deny " + first.reasons()));
    rows.add(measure("PeerVerifier.verify, warm cache, every peer read in full", iterations, () -> full.verify(handle)));
    Row fullRow = rows.get(rows.size() - 1);
    rows.add(measure("PeerVerifier.verify, warm cache (default)", iterations, () -> verifier.verify(handle)));
    Row last = rows.get(rows.size() - 1);
    // the audit path: a listener that renders each verdict as its JSON line, then also a JFR recording
    long[] auditBytes = new long[1];
    PeerVerifier audited = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed or not signed")).backend(backend)
        .onVerdict(v -> auditBytes[0] += VerdictJson.toJson(v).length()).build();
    audited.verify(handle);
    rows.add(measure("  the same, onVerdict listener writing VerdictJson", iterations, () -> audited.verify(handle)));
    Path jfr = Files.createTempFile("peerid-bench", ".jfr");
    try (Recording recording = new Recording()) {
      recording.enable("dev.peerid.Verdict");
      recording.setToDisk(true);
      recording.setDestination(jfr);
      recording.start();
      rows.add(measure("  the same, listener + JFR recording dev.peerid.Verdict", iterations,
          () -> audited.verify(handle)));
      recording.stop();
    }
    long events = RecordingFile.readAllEvents(jfr).stream()
        .filter(e -> e.getEventType().getName().equals("dev.peerid.Verdict")).count();
    Files.deleteIfExists(jfr);
    rows.add(measure("PeerVerifier.verify, warm cache (default), again", iterations, () -> verifier.verify(handle)));
    System.out.printf(Locale.ROOT, "audit: %d JSON bytes written by the listener, %d JFR events recorded%n",
        auditBytes[0], events);
    Row base = rows.get(0);
    System.out.printf(Locale.ROOT, "%-62s %10s %10s %10s %8s%n", "", "median µs", "p99 µs", "mean µs", "× base");
    for (Row r : rows) {
      System.out.printf(Locale.ROOT, "%-62s %10.2f %10.2f %10.2f %8.1f%n", r.name, r.median / 1e3, r.p99 / 1e3,
          r.mean / 1e3, r.median / base.median);
    }
    System.out.printf(Locale.ROOT, "goal: median < 20 µs for a cached verification: %s (%.2f µs; %.2f µs when every "
        + "peer is read in full)%n", last.median < 20_000 && fullRow.median < 20_000 ? "met" : "NOT met",
        last.median / 1e3, fullRow.median / 1e3);
    countSyscalls(fullRow.name, fullRow.body);
    countSyscalls(last.name, last.body);
  }

  private static PeerVerifier verifier(LinuxPeerBackend backend) throws PolicyParseException {
    return PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse("signed or not signed"))
        .backend(backend).build();
  }

  interface Body {
    void run() throws Exception;
  }

  record Row(String name, Body body, double median, double p99, double mean) {}

  private static Row measure(String name, int iterations, Body body) throws Exception {
    for (int i = 0; i < Math.max(20_000, iterations / 5); i++) {
      body.run();
    }
    long[] t = new long[iterations];
    for (int i = 0; i < iterations; i++) {
      long start = System.nanoTime();
      body.run();
      t[i] = System.nanoTime() - start;
    }
    Arrays.sort(t);
    double mean = Arrays.stream(t).average().orElse(0);
    return new Row(name, body, t[iterations / 2], t[(int) (iterations * 0.99)], mean);
  }

  /** Counts the system calls of N runs with strace -c (slow under tracing; only the counts matter). */
  private static void countSyscalls(String name, Body body) throws Exception {
    String strace;
    try {
      strace = which("strace");
    } catch (IOException e) {
      System.out.println("syscall count: strace not installed");
      return;
    }
    int n = 2000;
    long self = ProcessHandle.current().pid();
    // count only the measuring thread: JIT and GC threads would add noise
    long tid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    File out = File.createTempFile("peerid-strace", ".txt");
    Process p = new ProcessBuilder(strace, "-c", "-o", out.getPath(), "-p", Long.toString(tid))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Thread.sleep(1500); // let strace attach
    for (int i = 0; i < n; i++) {
      body.run();
    }
    p.destroy(); // SIGTERM: strace detaches and writes its summary
    p.waitFor(20, TimeUnit.SECONDS);
    List<String> lines = Files.readAllLines(out.toPath(), StandardCharsets.UTF_8);
    out.delete();
    System.out.printf(Locale.ROOT, "syscalls per run of \"%s\" (strace -c on thread %d of pid %d, %d runs):%n", name, tid,
        self, n);
    long total = 0;
    for (String line : lines) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 5 && f[0].matches("[0-9.]+") && !line.contains("total")) {
        long calls = Long.parseLong(f[3]);
        String syscall = f[f.length - 1];
        if (calls >= n / 2) {
          System.out.printf(Locale.ROOT, "  %-16s %6.2f%n", syscall, calls / (double) n);
        }
        total += calls;
      }
    }
    System.out.printf(Locale.ROOT, "  %-16s %6.2f  (includes a few calls of the tracing set-up)%n", "total",
        total / (double) n);
  }

  private static String which(String program) throws IOException {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IOException(program + " not found on PATH");
  }
}
