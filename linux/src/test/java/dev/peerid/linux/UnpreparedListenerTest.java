package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerSession;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A listener the server could not prepare (gRPC's, the JDK's): the client's data written before the
 * accept is labelled by the kernel, what it writes between the accept and SO_PASSCRED is not. Both
 * are the connecting process's and are read (seen as a race in a gRPC test: curl's preface, then
 * its HEADERS frame).
 */
@EnabledOnOs(OS.LINUX)
@Timeout(60)
class UnpreparedListenerTest {
  @TempDir
  Path dir;

  @Test
  void theClientsLabelledThenUnlabelledFirstBytesAreRead() throws Exception {
    Path socketPath = dir.resolve("s.sock");
    String code = "import socket,sys\n"
        + "s=socket.socket(socket.AF_UNIX)\n"
        + "s.connect(sys.argv[1])\n"
        + "s.sendall(b'before the accept\\n')\n"
        + "sys.stdin.readline()\n"
        + "s.sendall(b'after it\\n')\n"
        + "sys.stdin.readline()\n";
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("interpreter")).build();
        AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socketPath.toFile()))) {
      Process client = new ProcessBuilder(List.of(Tools.python().toString(), "-c", code, socketPath.toString()))
          .redirectErrorStream(true).redirectOutput(dir.resolve("client.log").toFile()).start();
      try {
        Thread.sleep(500); // the first line waits in the queue for the accept: labelled
        try (AFUNIXSocket socket = server.accept();
            PeerSession session = verifier.open(LinuxPeers.of(socket))) {
          assertTrue(session.verdict().isAllowed(), session.verdict().toString());
          OutputStream go = client.getOutputStream();
          go.write('\n');
          go.flush();
          Thread.sleep(500); // the second line arrives after the accept, before SO_PASSCRED: unlabelled
          socket.setSoTimeout(20_000);
          BufferedReader in = new BufferedReader(new InputStreamReader(
              LinuxPeers.senderCheckedInput(verifier, session, socket), StandardCharsets.UTF_8));
          assertEquals("before the accept", in.readLine());
          assertEquals("after it", in.readLine(), () -> "log: " + read(dir.resolve("client.log")));
        }
      } finally {
        client.destroyForcibly();
        client.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "(none)";
    }
  }
}
