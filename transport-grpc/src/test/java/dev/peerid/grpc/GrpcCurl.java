package dev.peerid.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * curl (or a copy of it) speaking gRPC over a Unix socket: HTTP/2 without TLS, a POST of one
 * length-prefixed message with {@code content-type: application/grpc}.
 */
final class GrpcCurl {
  /** What came back: curl's exit code, the headers and trailers it dumped, the body. */
  record Reply(long pid, int exit, String headers, byte[] body, String stderr) {
    /** The grpc-status trailer, or -1 when there is none. */
    int grpcStatus() {
      Matcher m = Pattern.compile("(?im)^grpc-status:\\s*(\\d+)").matcher(headers);
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    String grpcMessage() {
      Matcher m = Pattern.compile("(?im)^grpc-message:\\s*(.*)$").matcher(headers);
      return m.find() ? m.group(1).trim() : "";
    }

    /** The one response message, without its 5-byte gRPC prefix. */
    String message() {
      if (body.length < 5) {
        return "";
      }
      return new String(body, 5, body.length - 5, StandardCharsets.UTF_8);
    }
  }

  private GrpcCurl() {}

  static Reply call(Path curl, Path socket, String method, Path dir) throws IOException, InterruptedException {
    Path request = dir.resolve("request.bin");
    Files.write(request, new byte[] {0, 0, 0, 0, 0}); // uncompressed, 0 bytes: an empty message
    Path headers = Files.createTempFile(dir, "headers", ".txt");
    Path body = Files.createTempFile(dir, "body", ".bin");
    Process p = new ProcessBuilder(curl.toString(), "-sS", "--max-time", "30", "--http2-prior-knowledge",
        "--unix-socket", socket.toString(), "-H", "content-type: application/grpc", "-H", "te: trailers",
        "--data-binary", "@" + request, "-D", headers.toString(), "-o", body.toString(),
        "http://localhost/" + method)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("curl did not finish");
    }
    return new Reply(p.pid(), p.exitValue(), Files.readString(headers), Files.readAllBytes(body), stderr);
  }

  static List<String> pythonClient(Path python, Path socket) {
    // sends an HTTP/2 client preface and an empty SETTINGS frame, then prints all it gets until EOF
    String code = "import socket,sys\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(" + quote(socket.toString()) + ")\n"
        + "s.sendall(b'PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n'+bytes([0,0,0,4,0,0,0,0,0]))\n"
        + "data=b''\n"
        + "while True:\n"
        + "  try:\n"
        + "    c=s.recv(65536)\n"
        + "  except ConnectionResetError:\n"
        + "    break\n"
        + "  if not c: break\n"
        + "  data+=c\n"
        + "sys.stdout.write(data.decode('utf-8','replace'))\n";
    return List.of(python.toString(), "-c", code);
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
