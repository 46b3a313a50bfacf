package dev.peerid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs real programs (the packaged CLI, openssl, evmctl) for the tests. */
final class Tools {
  static final Path JAR = Path.of("target", "peerid.jar");

  private Tools() {}

  record Result(int status, String out, String err) {}

  /** Skips outside CI when the tool is missing; fails under CI=true. */
  static void require(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return;
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      fail(tool + " is required under CI=true but is not installed");
    }
    Assumptions.abort(tool + " is not installed");
  }

  static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  static boolean root() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  /**
   * Signs {@code name} in {@code dir} with evmctl: into security.ima as root (as in CI), else into
   * the {@code name.sig} sidecar, which an ordinary user may write. evmctl --sigfile also tries
   * security.ima and exits 125 when only that is refused; the sidecar it wrote is then complete.
   */
  static void evmctlSign(Path dir, String key, String name, String... options) throws IOException, InterruptedException {
    require("evmctl");
    List<String> cmd = new ArrayList<>(List.of("evmctl", "ima_sign", "-k", key, "-a", "sha256"));
    cmd.addAll(List.of(options));
    boolean root = root();
    if (!root && !cmd.contains("--sigfile")) {
      cmd.add("--sigfile");
    }
    cmd.add(name);
    Path sig = dir.resolve(name + ".sig");
    Files.deleteIfExists(sig);
    Result r = run(dir, cmd);
    boolean sidecarOnly = r.status() == 125 && !root && (r.out() + r.err()).contains("setxattr failed")
        && Files.isRegularFile(sig) && Files.size(sig) > 0;
    if (r.status() != 0 && !sidecarOnly) {
      fail(String.join(" ", cmd) + " exited " + r.status() + ":\n" + r.out() + r.err());
    }
  }

  /** Skips for an ordinary user: only root may write security.ima. */
  static void requireRoot(String what) throws IOException {
    Assumptions.assumeTrue(root(), () -> what + " needs root; skipped for an ordinary user");
  }

  static Result peerid(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(JAR.toAbsolutePath().toString());
    cmd.addAll(List.of(args));
    return run(dir, cmd);
  }

  static String ok(Path dir, String... command) throws IOException, InterruptedException {
    require(command[0]);
    Result r = run(dir, List.of(command));
    assertEquals(0, r.status(), () -> String.join(" ", command) + " failed:\n" + r.out() + r.err());
    return r.out();
  }
}
