package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** External tools for real fixtures. Missing tools skip locally and fail under CI=true. */
public final class Tools {
  private Tools() {}

  public static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  public static void require(String... tools) {
    for (String tool : tools) {
      if (!onPath(tool)) {
        String message = tool + " is not installed (CI installs gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 osslsigncode openssl)";
        if ("true".equals(System.getenv("CI"))) {
          fail(message);
        }
        assumeTrue(false, message);
      }
    }
  }

  /** Output and exit code of a finished command. */
  public record Run(int exitCode, String output) {}

  public static Run run(Path dir, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + cmd);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Runs a command that must succeed. */
  public static String ok(Path dir, String... command) throws IOException, InterruptedException {
    Run r = run(dir, command);
    if (r.exitCode() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + r.exitCode() + "):\n" + r.output());
    }
    return r.output();
  }
}
