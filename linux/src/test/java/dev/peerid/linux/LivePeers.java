package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.fail;

import dev.peerid.PeerVerifier;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Real peers for tests: a junixsocket server socket in a directory on a real filesystem (under
 * target/, where extended attributes work even when /tmp is a tmpfs) and child processes that
 * connect to it.
 */
final class LivePeers implements Closeable {
  final Path dir;
  final Path socketPath;
  private final AFUNIXServerSocket server;
  private final List<Peer> peers = new ArrayList<>();

  LivePeers() throws IOException {
    dir = Path.of("target", "live-peers", UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
    Files.createDirectories(dir);
    socketPath = dir.resolve("s.sock");
    server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socketPath.toFile()));
    server.setSoTimeout(20_000);
  }

  /** Has every connection accepted from now on name the writer of each read from its first byte. */
  void labelWriters(PeerVerifier verifier) throws Exception {
    verifier.prepareListener(LinuxPeers.listener(server));
  }

  /** A connected child process and the server's end of its connection. */
  static final class Peer {
    final Process process;
    final AFUNIXSocket socket;

    Peer(Process process, AFUNIXSocket socket) {
      this.process = process;
      this.socket = socket;
    }

    int fd() throws IOException {
      return FileDescriptorCast.using(socket.getFileDescriptor()).as(Integer.class);
    }

    long pid() {
      return process.pid();
    }

    void send(String line) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  /** Starts a command that connects to {@link #socketPath} and waits for that connection. */
  Peer start(List<String> command) throws IOException {
    return start(command, Map.of());
  }

  Peer start(List<String> command, Map<String, String> environment) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("child-" + peers.size() + ".log").toFile());
    pb.environment().putAll(environment);
    Process p = pb.start();
    AFUNIXSocket s;
    try {
      s = server.accept();
    } catch (SocketTimeoutException e) {
      p.destroyForcibly();
      fail("child " + command + " did not connect: " + log(peers.size()));
      throw e;
    }
    Peer peer = new Peer(p, s);
    peers.add(peer);
    return peer;
  }

  /**
   * Accepts the next connection, made by {@code from}'s process (which the caller told to connect
   * again); closed with the others.
   */
  Peer next(Peer from) throws IOException {
    Peer peer = new Peer(from.process, server.accept());
    peers.add(peer);
    return peer;
  }

  /** Accepts the next connection, whoever makes it; the caller closes it. */
  AFUNIXSocket accept() throws IOException {
    return server.accept();
  }

  private String log(int index) {
    try {
      return Files.readString(dir.resolve("child-" + index + ".log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** A native client: curl sends a request over the Unix socket and waits for an answer that never comes. */
  List<String> curl(Path curl) {
    return List.of(curl.toString(), "-s", "-m", "120", "--unix-socket", socketPath.toString(), "http://peer/");
  }

  /** An interpreter client: python connects, then waits for a line on stdin. */
  List<String> python(Path python, String afterLine) {
    String code = "import socket,sys,os\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(" + quote(socketPath.toString()) + ")\n"
        + "s.set_inheritable(True)\n"
        + "sys.stdin.readline()\n"
        + afterLine + "\n"
        + "sys.stdin.readline()\n";
    return List.of(python.toString(), "-c", code);
  }

  static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** Copies a binary into the test directory under a new name. */
  Path copy(Path binary, String name) throws IOException {
    Path target = dir.resolve(name);
    Files.copy(binary, target);
    target.toFile().setExecutable(true);
    return target;
  }

  @Override
  public void close() throws IOException {
    for (Peer p : peers) {
      // children a peer forked (a hand-off) are the test's too
      p.process.descendants().forEach(ProcessHandle::destroyForcibly);
      p.process.destroyForcibly();
      try {
        p.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      p.socket.close();
    }
    server.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
