package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Builds a darwin/arm64 program with the Go toolchain, whose linker signs it ad-hoc. Skips when
 * {@code go} is missing, except under CI=true, where a missing tool fails the test.
 */
final class GoDarwinBuild {
  private GoDarwinBuild() {}

  static Path build(Path dir, String source) throws IOException, InterruptedException {
    return build(dir, source, "arm64");
  }

  static Path build(Path dir, String source, String goarch) throws IOException, InterruptedException {
    requireGo();
    Path src = Files.createDirectories(dir.resolve("src"));
    Files.writeString(src.resolve("main.go"), source);
    Files.writeString(src.resolve("go.mod"), "module peeridtest\n\ngo 1.19\n");
    Path out = dir.resolve("prog-" + goarch);
    ProcessBuilder pb = new ProcessBuilder("go", "build", "-trimpath", "-o", out.toString(), ".")
        .directory(src.toFile()).redirectErrorStream(true);
    pb.environment().put("GOOS", "darwin");
    pb.environment().put("GOARCH", goarch);
    pb.environment().put("CGO_ENABLED", "0");
    pb.environment().put("GOFLAGS", "-mod=mod");
    pb.environment().put("GOPROXY", "off");
    pb.environment().put("GOCACHE", dir.resolve("gocache").toString());
    pb.environment().put("GOPATH", dir.resolve("gopath").toString());
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("go build timed out");
    }
    if (p.exitValue() != 0) {
      fail("go build failed: " + log);
    }
    return out;
  }

  static void requireGo() throws InterruptedException {
    boolean present;
    try {
      Process p = new ProcessBuilder(List.of("go", "version")).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      present = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      present = false;
    }
    if (!present) {
      if ("true".equals(System.getenv("CI"))) {
        fail("go is required under CI=true (apt-get install golang-go)");
      }
      Assumptions.abort("go is not installed");
    }
  }
}
