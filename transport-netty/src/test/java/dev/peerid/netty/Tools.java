package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.peerid.Platform;
import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.spi.PeerBackend;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;

/** External tools and team prerequisites: skipped when missing, a failure under CI=true. */
public final class Tools {
  private Tools() {}

  public static boolean ci() {
    return "true".equals(System.getenv("CI"));
  }

  public static void require(boolean present, String what) {
    if (ci() && !present) {
      fail(what + " is required under CI=true");
    }
    assumeTrue(present, what + " is missing");
  }

  /** The tool's absolute path on PATH; skips (or fails under CI) when absent. */
  public static Path tool(String name) {
    Path found = find(name);
    require(found != null, "the tool '" + name + "'");
    return found;
  }

  public static Path find(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** The policy language. */
  public static void requirePolicy() {
    boolean policy;
    try {
      Policy.parse("signed");
      policy = true;
    } catch (PolicyParseException | RuntimeException e) {
      policy = false;
    }
    require(policy, "the policy language");
  }

  /** The Linux backend and the policy language, written by other work in progress. */
  public static void requireBackendAndPolicy() {
    boolean backend = false;
    try {
      for (PeerBackend b : ServiceLoader.load(PeerBackend.class)) {
        backend |= b.platform() == Platform.LINUX && b.isSupported();
      }
    } catch (java.util.ServiceConfigurationError e) {
      backend = false;
    }
    boolean policy;
    try {
      Policy.parse("signed");
      policy = true;
    } catch (PolicyParseException | RuntimeException e) {
      policy = false;
    }
    require(backend, "a supported Linux peerid backend");
    require(policy, "the policy language");
  }

  public record Result(int status, String output) {}

  /** Runs a command to completion; its exit status and its output (stdout and stderr together). */
  public static Result exec(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs a command to completion; fails the test with its output when it exits non-zero. */
  public static String run(List<String> command) throws IOException, InterruptedException {
    Result r = exec(command);
    if (r.status() != 0) {
      fail(command + " exited " + r.status() + ": " + r.output());
    }
    return r.output();
  }

  /** True when this JVM runs as root (it may write security.ima). */
  public static boolean root() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }

  /** Runs a command to completion (at most 3 minutes) and returns its output, whatever its exit status. */
  public static String runAnyExit(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    p.getInputStream().close();
    p.getOutputStream().close();
    return new String(out, StandardCharsets.UTF_8);
  }

  public static List<String> cmd(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object o : parts) {
      out.add(o.toString());
    }
    return out;
  }

  /** Open file descriptors of this JVM. */
  public static int openFds() throws IOException {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    }
  }
}
