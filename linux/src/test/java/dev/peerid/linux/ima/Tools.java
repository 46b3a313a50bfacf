package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real tools the tests compare with (evmctl, openssl, setfattr). */
final class Tools {
  private Tools() {}

  /** Skips the test when {@code tool} is missing, except under CI=true where that is a failure. */
  static void require(String... tools) {
    for (String tool : tools) {
      boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
          .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
      missing(found, tool + " is not installed (apt-get install ima-evm-utils attr openssl)");
    }
  }

  /** Skips for an ordinary user; as root, skips (under CI=true fails) when security.* xattrs cannot be written in {@code dir}. */
  static void requireSecurityXattrs(Path dir) throws IOException {
    require("setfattr");
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    // only root may write security.*: an ordinary user skips, even under CI=true
    assumeTrue(uid == 0, () -> "writing security.ima needs root; skipped as uid " + uid);
    Path probe = Files.createTempFile(dir, "xattr-probe", "");
    Result r = run(dir, "setfattr", "-n", "security.ima", "-v", "0x0404" + "00".repeat(32), probe.toString());
    Files.delete(probe);
    missing(r.status == 0, "cannot write security.ima in " + dir + " (needs root and a file system with xattrs): "
        + r.output);
  }

  private static void missing(boolean ok, String what) {
    if (ok) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      fail(what);
    }
    assumeTrue(false, what);
  }

  record Result(int status, String output) {}

  /** Runs a command in {@code dir}; stdout and stderr together. */
  static Result run(Path dir, String... command) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return new Result(p.exitValue(), out);
  }

  /** Runs a command that must succeed; returns its output. */
  static String ok(Path dir, String... command) throws IOException {
    Result r = run(dir, command);
    if (r.status != 0) {
      throw new AssertionError(String.join(" ", command) + " failed with status " + r.status + ":\n" + r.output);
    }
    return r.output;
  }

  static List<String> list(String... items) {
    return new ArrayList<>(List.of(items));
  }
}
