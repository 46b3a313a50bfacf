package dev.peerid.bench;

import dev.peerid.CodeSignature;
import dev.peerid.TrustStore;
import dev.peerid.macos.MachOVerifier;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Warm verification of a large signed Mach-O against {@code openssl dgst -sha256} of the same
 * bytes, side by side in one run (goal: at most 1.15x). With no argument, builds a darwin/arm64 Go
 * program embedding 16 MiB of random data (the Go linker signs it ad-hoc, SHA-256 pages).
 *
 * <pre>java -cp ... dev.peerid.bench.MachOBenchmark [file.macho] [rounds]</pre>
 */
public final class MachOBenchmark {
  private MachOBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path built = args.length > 0 ? null : Files.createTempDirectory("peerid-macho-bench");
    try {
      run(args.length > 0 ? Path.of(args[0]) : buildGoBinary(built), args.length > 1 ? Integer.parseInt(args[1]) : 31);
    } finally {
      if (built != null) {
        try (var walk = Files.walk(built)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().setWritable(true));
        }
        try (var walk = Files.walk(built)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private static void run(Path file, int rounds) throws Exception {
    long size = Files.size(file);
    MachOVerifier verifier = new MachOVerifier();
    VerificationContext context = VerificationContext.of(TrustStore.empty());
    ExecutableFile executable = ExecutableFile.of(file);
    CodeSignature first = verifier.verify(executable, context).signature();
    System.out.printf(Locale.ROOT, "file %s, %.1f MiB, %s %s%n", file, size / 1048576.0, first.status().id(),
        first.attributes().get("codeDirectories"));

    for (int i = 0; i < 30; i++) { // warm-up: JIT (C2 with the SHA intrinsics) and page cache
      verifier.verify(executable, context);
      openssl(file);
      javaSha256(file);
    }
    long[] verify = new long[rounds];
    long[] openssl = new long[rounds];
    long[] sha = new long[rounds];
    for (int i = 0; i < rounds; i++) { // interleaved so that both see the same machine state
      long t0 = System.nanoTime();
      CodeSignature sig = verifier.verify(executable, context).signature();
      long t1 = System.nanoTime();
      openssl(file);
      long t2 = System.nanoTime();
      javaSha256(file);
      long t3 = System.nanoTime();
      if (!sig.status().equals(first.status())) {
        throw new IllegalStateException("verification result changed: " + sig);
      }
      verify[i] = t1 - t0;
      openssl[i] = t2 - t1;
      sha[i] = t3 - t2;
    }
    long v = median(verify);
    long o = median(openssl);
    long s = median(sha);
    System.out.printf(Locale.ROOT, "median of %d rounds:%n", rounds);
    System.out.printf(Locale.ROOT, "  MachOVerifier.verify          %8.2f ms  %7.1f MiB/s%n", v / 1e6, size / 1048576.0 / (v / 1e9));
    System.out.printf(Locale.ROOT, "  openssl dgst -sha256 (process)%8.2f ms  %7.1f MiB/s%n", o / 1e6, size / 1048576.0 / (o / 1e9));
    System.out.printf(Locale.ROOT, "  JDK SHA-256 of the file       %8.2f ms  %7.1f MiB/s%n", s / 1e6, size / 1048576.0 / (s / 1e9));
    System.out.printf(Locale.ROOT, "  ratio verify / openssl        %8.2fx (goal <= 1.15x)%n", (double) v / o);
    System.out.printf(Locale.ROOT, "  ratio verify / JDK SHA-256    %8.2fx%n", (double) v / s);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static void openssl(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("openssl", "dgst", "-sha256", file.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl dgst failed");
    }
  }

  private static byte[] javaSha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 20];
      for (int n; (n = in.read(buffer)) > 0; ) {
        md.update(buffer, 0, n);
      }
    }
    return md.digest();
  }

  static Path buildGoBinary(Path dir) throws IOException, InterruptedException {
    Path src = Files.createDirectories(dir.resolve("src"));
    byte[] blob = new byte[16 << 20];
    new Random(1).nextBytes(blob);
    Files.write(src.resolve("blob.bin"), blob);
    Files.writeString(src.resolve("go.mod"), "module bench\n\ngo 1.19\n");
    Files.writeString(src.resolve("main.go"), String.join("\n", List.of(
        "package main", "", "import (", "\t_ \"embed\"", "\t\"fmt\"", ")", "", "//go:embed blob.bin",
        "var blob []byte", "", "func main() { fmt.Println(len(blob)) }", "")));
    Path out = dir.resolve("bench-darwin-arm64");
    ProcessBuilder pb = new ProcessBuilder("go", "build", "-o", out.toString(), ".").directory(src.toFile()).inheritIO();
    pb.environment().put("GOOS", "darwin");
    pb.environment().put("GOARCH", "arm64");
    pb.environment().put("CGO_ENABLED", "0");
    pb.environment().put("GOPROXY", "off");
    pb.environment().put("GOCACHE", dir.resolve("gocache").toString());
    pb.environment().put("GOPATH", dir.resolve("gopath").toString());
    if (pb.start().waitFor() != 0) {
      throw new IllegalStateException("go build failed");
    }
    return out;
  }
}
