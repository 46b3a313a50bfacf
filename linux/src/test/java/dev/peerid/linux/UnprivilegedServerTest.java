package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A server running as an unprivileged user cannot read /proc/<pid>/exe of another user's process:
 * the peer is denied with a reason that says what the server needs, never identified by guesswork.
 */
@EnabledOnOs(OS.LINUX)
class UnprivilegedServerTest {

  @Test
  void serverWithoutPtraceAccessToThePeerSaysWhatItNeeds() throws Exception {
    Tools.requireRoot("starting a server as nobody");
    Path setpriv = Tools.require("setpriv");
    // a world-readable copy of the class path: the local Maven repository usually is not
    Path dir = Path.of("target", "unprivileged-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    try {
      List<String> cp = new ArrayList<>();
      int i = 0;
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path source = Path.of(entry);
        if (Files.isRegularFile(source)) {
          Path copy = dir.resolve(i++ + "-" + source.getFileName());
          Files.copy(source, copy, StandardCopyOption.REPLACE_EXISTING);
          copy.toFile().setReadable(true, false);
          cp.add(copy.toString());
        } else {
          cp.add(entry); // target/classes directories are world-readable
        }
      }
      Path sock = dir.resolve("probe.sock");
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      String javaCmd = ProcessHandle.current().info().command().orElse("java");
      Process probe = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
          javaCmd, "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp, "-cp", String.join(File.pathSeparator, cp),
          ServerProbe.class.getName(), sock.toString()).redirectErrorStream(true).start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
        String first = out.readLine();
        if (!"READY".equals(first)) {
          probe.destroyForcibly();
          fail("probe did not start: " + first + drain(out));
        }
        try (AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(sock.toFile()))) {
          String verdict = out.readLine();
          assertTrue(verdict != null && verdict.startsWith("DENIED permission denied reading /proc/"
              + ProcessHandle.current().pid()), "probe said: " + verdict);
          assertTrue(verdict.contains("CAP_SYS_PTRACE"), verdict);
        }
      } finally {
        probe.destroyForcibly();
        probe.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
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
