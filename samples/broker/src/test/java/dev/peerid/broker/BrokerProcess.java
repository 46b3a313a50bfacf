package dev.peerid.broker;

import dev.peerid.netty.Tools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code broker serve} in a JVM of its own, so that what an attack costs it can be measured from the
 * outside: its heap after a full GC (with {@code jcmd}), its resident memory and its open descriptors
 * (from {@code /proc}). The heap is fixed and touched up front ({@code -Xms = -Xmx},
 * {@code AlwaysPreTouch}), so resident memory grows only with what lives outside the heap (Netty's
 * direct buffers). One event-loop thread: the worst case for a peer that stalls its loop.
 */
final class BrokerProcess implements AutoCloseable {
  static final int HEAP_MB = 128;
  private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

  final Process process;
  final Path socket;
  private final Path jcmd;

  private BrokerProcess(Process process, Path socket) {
    this.process = process;
    this.socket = socket;
    this.jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
  }

  /**
   * Starts the broker on {@code socket} trusting {@code certificate} as "vendor", policy
   * {@code signed by "vendor"}, with {@code extra} serve options; {@code maxFds} > 0 sets its
   * descriptor limit (prlimit).
   */
  static BrokerProcess start(Path socket, Path certificate, int maxFds, String... extra) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    if (maxFds > 0) {
      cmd.addAll(List.of(Tools.tool("prlimit").toString(), "--nofile=" + maxFds + ":" + maxFds));
    }
    cmd.addAll(List.of(java.toString(), "-Xms" + HEAP_MB + "m", "-Xmx" + HEAP_MB + "m", "-XX:+AlwaysPreTouch",
        "-Dio.netty.eventLoopThreads=1", "-cp", System.getProperty("java.class.path"), BrokerMain.class.getName(),
        "serve", "--socket", socket.toString(), "--trust", "vendor=" + certificate,
        "--policy", "signed by \"vendor\"", "--socket-mode", "0666"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BrokerProcess b = new BrokerProcess(p, socket);
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = r.readLine();
    if (line == null || !line.startsWith("broker: listening on ")) {
      b.close();
      throw new AssertionError("the broker did not start: " + line);
    }
    // keep draining its output (log lines of denials) so that it never blocks on a full pipe
    Thread drain = new Thread(() -> {
      try {
        while (r.readLine() != null) {
          // discarded
        }
      } catch (IOException ignored) {
        // the broker exited
      }
    }, "broker-output");
    drain.setDaemon(true);
    drain.start();
    // attach once now: jcmd's first call starts the JVM's attach listener (a thread and a socket)
    b.heapUsedMb();
    return b;
  }

  long pid() {
    return process.pid();
  }

  /** Live heap after a full GC, in MiB. */
  long heapUsedMb() throws IOException, InterruptedException {
    Tools.run(Tools.cmd(jcmd, pid(), "GC.run"));
    String info = Tools.run(Tools.cmd(jcmd, pid(), "GC.heap_info"));
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new AssertionError("cannot read the heap from jcmd GC.heap_info: " + info);
    }
    return Long.parseLong(m.group(1)) / 1024;
  }

  /** Resident memory, in MiB. */
  long rssMb() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new AssertionError("no VmRSS for the broker");
  }

  /**
   * Open file descriptors, less those of the Linux backend's cache of recently seen processes (an
   * {@code O_PATH} descriptor of {@code /proc/PID} each, bounded, dropped lazily): what remains are
   * sockets, pidfds, files, the JVM's own.
   */
  int fds() throws IOException {
    int n = 0;
    try (var s = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
      for (Path fd : (Iterable<Path>) s::iterator) {
        try {
          if (!Files.readSymbolicLink(fd).toString().matches("/proc/\\d+( \\(deleted\\))?")) {
            n++;
          }
        } catch (IOException closedMeanwhile) {
          // gone between the listing and the read
        }
      }
    }
    return n;
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() throws Exception {
    process.toHandle().destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    process.getInputStream().close();
    process.getOutputStream().close();
  }
}
