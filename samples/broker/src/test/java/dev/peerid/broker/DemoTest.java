package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.netty.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs the one-command demo, with the signature in security.ima (root) and in a sidecar. */
class DemoTest {
  @ParameterizedTest
  @ValueSource(strings = {"", "--sidecar"})
  void theDemoServesOnlyTheSignedNativeClientAndCleansUp(String option) throws Exception {
    Tools.requireBackendAndPolicy();
    Tools.tool("curl");
    Tools.tool("python3");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] args = option.isEmpty() ? new String[] {"demo"} : new String[] {"demo", option};
    int status = BrokerMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, text + err.toString(StandardCharsets.UTF_8));
    assertTrue(text.matches("(?s).*signed copy of curl\\s+\\d+\\s+valid \\(demo-vendor\\)\\s+ALLOWED.*"), text);
    assertTrue(text.matches("(?s).*unsigned copy of curl\\s+\\d+\\s+unsigned\\s+DENIED.*"), text);
    assertTrue(text.matches("(?s).*signed copy of python3\\s+\\d+\\s+valid \\(demo-vendor\\)\\s+DENIED .*interpreter.*"),
        text);
    assertFalse(text.contains("NOT AS EXPECTED"), text);
    if (option.equals("--sidecar")) {
      assertTrue(text.contains("sidecar vendor-client.sig"), text);
    }
    assertCleanedUp(text);
  }

  /**
   * As root, runs the demo again in a child JVM as the unprivileged user "nobody" (uid 65534),
   * which cannot write security.ima: the signatures go to sidecars.
   */
  @Test
  void theDemoWorksAsAnOrdinaryUser(@TempDir Path dir) throws Exception {
    Tools.requireBackendAndPolicy();
    Tools.tool("curl");
    boolean root = "0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid")));
    org.junit.jupiter.api.Assumptions.assumeTrue(root, "needs root to switch to an ordinary user");
    Path setpriv = Tools.tool("setpriv");
    // the class path lives under /root, which nobody cannot read: copy it somewhere world-readable
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = dir.resolve("cp" + i++ + (Files.isDirectory(from) ? "" : ".jar"));
      copyTree(from, to);
      entries.add(to.toString());
    }
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
        javaBin.toString(), "-cp", String.join(java.io.File.pathSeparator, entries), BrokerMain.class.getName(), "demo")
        .redirectErrorStream(true).start();
    p.getOutputStream().close();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
    p.getInputStream().close();
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("running as an ordinary user"), text);
    assertTrue(text.contains("sidecar vendor-client.sig"), text);
    assertTrue(text.matches("(?s).*signed copy of curl\\s+\\d+\\s+valid \\(demo-vendor\\)\\s+ALLOWED.*"), text);
    assertCleanedUp(text);
  }

  private static void assertCleanedUp(String text) {
    Matcher m = Pattern.compile("cleaned up (\\S+)").matcher(text);
    assertTrue(m.find(), text);
    assertFalse(Files.exists(Path.of(m.group(1))), "the demo removes its temporary directory");
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var s = Files.walk(from)) {
      for (Path f : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
          Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(f, t);
          Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
  }
}
