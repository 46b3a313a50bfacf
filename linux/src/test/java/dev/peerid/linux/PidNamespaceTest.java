package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A server in a child PID namespace cannot see its peer's pid: identification fails with a reason. */
@EnabledOnOs(OS.LINUX)
class PidNamespaceTest {

  @Test
  void peerOutsideOurPidNamespaceIsNotIdentified(@TempDir Path dir) throws Exception {
    Path unshare = Tools.require("unshare");
    String javaCmd = ProcessHandle.current().info().command().orElse("java");
    Path sock = dir.resolve("ns.sock");
    Process probe = new ProcessBuilder(unshare.toString(), "--pid", "--fork", "--kill-child", javaCmd,
        "-cp", System.getProperty("java.class.path"), ServerProbe.class.getName(), sock.toString())
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      if (first != null && first.contains("Operation not permitted")) {
        // an ordinary user without user namespaces may not; root in CI must be able to
        Tools.requireRootFacility(false, "unshare --pid is not permitted here: " + first);
      }
      if (!"READY".equals(first)) {
        probe.destroyForcibly();
        fail("probe did not start: " + first + drain(out));
      }
      try (AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(sock.toFile()))) {
        String verdict = out.readLine();
        assertTrue(verdict != null && verdict.startsWith("DENIED SO_PEERCRED"), "probe said: " + verdict);
        assertTrue(verdict.contains("gave pid 0") && verdict.contains("PID namespace"), verdict);
      }
    } finally {
      probe.destroyForcibly();
      probe.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(sock);
    }
  }

  private static String drain(BufferedReader r) throws IOException {
    StringBuilder b = new StringBuilder();
    for (String line; (line = r.readLine()) != null; ) {
      b.append('\n').append(line);
    }
    return b.toString();
  }

}
