package dev.peerid.netty;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Real client processes talking to a Unix socket. */
final class Clients {
  private Clients() {}

  /** A started client; {@link #finish()} waits for it and closes its pipes. */
  static final class Run {
    final Process process;
    private String output;

    Run(Process process) {
      this.process = process;
    }

    long pid() {
      return process.pid();
    }

    String finish() throws IOException, InterruptedException {
      if (output == null) {
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("client did not finish");
        }
        process.getInputStream().close();
        process.getOutputStream().close();
        process.getErrorStream().close();
        output = new String(out, StandardCharsets.UTF_8);
      }
      return output;
    }

    int exitCode() throws IOException, InterruptedException {
      finish();
      return process.exitValue();
    }
  }

  static Run start(List<String> command) throws IOException {
    return new Run(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /** One HTTP GET with curl (or a copy of it); prints the body, then the status code on its own line. */
  static Run curl(Path curl, Path socket, String... extra) throws IOException {
    List<String> c = new ArrayList<>(List.of(curl.toString(), "-sS", "--max-time", "30",
        "--unix-socket", socket.toString(), "-w", "\\n%{http_code}"));
    c.addAll(List.of(extra));
    c.add("http://localhost/");
    return start(c);
  }

  /** {@code n} concurrent connections from one curl process, one GET on each. */
  static Run curlParallel(Path curl, Path socket, int n) throws IOException {
    return start(List.of(curl.toString(), "-sS", "--max-time", "50", "--unix-socket", socket.toString(),
        "--parallel", "--parallel-immediate", "--parallel-max", String.valueOf(n),
        "-w", "%{http_code}\\n", "-o", "/dev/null", "http://localhost/[1-" + n + "]"));
  }

  /**
   * python3 (an interpreter: denied by default) connects, optionally sends bytes and half-closes,
   * (mode "leave": closes and exits when a line arrives on its stdin), and prints what it received ({@code b''} when the server closed without answering).
   */
  static Run python(Path python, Path socket, String mode) throws IOException {
    String script = String.join("\n",
        "import socket, sys",
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
        "s.connect(sys.argv[1])",
        "mode = sys.argv[2]",
        "if mode == 'leave':",
        "    sys.stdin.readline(); s.close(); sys.exit(0)",
        "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')",
        "if mode == 'halfclose':",
        "    s.shutdown(socket.SHUT_WR)",
        "s.settimeout(30)",
        "try:",
        "    print(repr(s.recv(4096)))",
        "except ConnectionResetError:",
        "    print(\"b''\")",
        "");
    return start(List.of(python.toString(), "-c", script, socket.toString(), mode));
  }
}
