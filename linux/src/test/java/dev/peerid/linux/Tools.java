package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** External tools the live tests use: a missing tool skips locally and fails under CI=true. */
final class Tools {
  private Tools() {}

  static boolean ci() {
    return "true".equals(System.getenv("CI"));
  }

  /** This JVM's real user id. */
  static int uid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static boolean root() {
    return uid() == 0;
  }

  /**
   * For what only root may do (write security.ima, become nobody, mount FUSE): skips for an
   * ordinary user with the reason; as root it runs, and never skips under CI=true.
   */
  static void requireRoot(String what) {
    assumeTrue(root(), () -> what + " needs root; skipped as uid " + uid());
  }

  /**
   * As {@link #requireRoot}, for a facility root normally has ({@code possible}): as root under
   * CI=true its absence is a failure, otherwise a skip with the reason.
   */
  static void requireRootFacility(boolean possible, String what) {
    if (!possible && root() && ci()) {
      fail(what + " (running as root under CI=true, where it must work)");
    }
    assumeTrue(possible, what);
  }

  /**
   * Runs {@code evmctl ima_sign --sigfile ... file}. evmctl writes {@code file.sig} and then also
   * tries security.ima; an ordinary user may not, so it exits 125 after writing a complete sidecar.
   * That exit is accepted only then (not root, a fresh non-empty sidecar, evmctl said setxattr failed).
   */
  static void evmctlSidecar(List<String> command, Path file) throws IOException, InterruptedException {
    Path sig = Path.of(file + ".sig");
    Files.deleteIfExists(sig);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    boolean sidecarOnly = p.exitValue() == 125 && !root() && text.contains("setxattr failed")
        && Files.isRegularFile(sig) && Files.size(sig) > 0;
    if (p.exitValue() != 0 && !sidecarOnly) {
      fail(command + " exited " + p.exitValue() + ": " + text);
    }
  }

  /** The absolute real path of a program on PATH (or at an absolute path), or a skip/failure. */
  static Path require(String program) {
    Optional<Path> found = find(program);
    if (found.isEmpty()) {
      String msg = program + " is not installed (apt-get install the package that provides it)";
      if (ci()) {
        fail(msg);
      }
      assumeTrue(false, msg);
    }
    return found.get();
  }

  static Optional<Path> find(String program) {
    if (program.startsWith("/")) {
      Path p = Path.of(program);
      return Files.isExecutable(p) ? Optional.of(real(p)) : Optional.empty();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, program);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return Optional.of(real(p));
      }
    }
    return Optional.empty();
  }

  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath();
    }
  }

  /** The system's python3 binary (not a pyenv shim script). */
  static Path python() {
    Path system = Path.of("/usr/bin/python3");
    if (Files.isExecutable(system)) {
      return real(system);
    }
    return require("python3");
  }

  /** Runs a command to completion; fails the test with its output when it exits non-zero. */
  static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      fail(command + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }

  /** Runs a command and returns its trimmed output (fails the test when it fails). */
  static String runQuietly(String... command) {
    try {
      return run(List.of(command)).trim();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
