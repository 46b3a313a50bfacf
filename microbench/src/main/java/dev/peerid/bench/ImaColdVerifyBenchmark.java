package dev.peerid.bench;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.linux.ima.ImaHashAlgorithm;
import dev.peerid.linux.ima.ImaSigner;
import dev.peerid.linux.ima.ImaVerifier;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Cold IMA verification of a signed 64 MiB file (no verification cache: {@link ImaVerifier} is
 * called directly; the file is in the page cache for both sides) against {@code openssl dgst
 * -sha256} of the same file run as a subprocess, alternated round by round. Nothing is subtracted:
 * openssl's figure includes its process start, ours includes reading the signature and the RSA
 * check. JVM warm-up (the first verifications) is reported on its own line.
 *
 * <pre>java -cp ... dev.peerid.bench.ImaColdVerifyBenchmark [rounds] [MiB]</pre>
 */
public final class ImaColdVerifyBenchmark {
  private ImaColdVerifyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
    int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    Path dir = Files.createTempDirectory("peerid-ima-bench");
    try {
      run(dir, rounds, mib);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(Path dir, int rounds, int mib) throws Exception {
    Path file = dir.resolve("payload");
    byte[] chunk = new byte[1 << 20];
    Random random = new Random(1);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < mib; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.der");
    exec(dir, "openssl", "genrsa", "-out", key.toString(), "2048");
    exec(dir, "openssl", "req", "-new", "-x509", "-key", key.toString(), "-outform", "DER", "-out", cert.toString(),
        "-days", "1", "-subj", "/CN=peerid bench");
    // The sidecar works for any user; where the signature is stored does not change the work.
    ImaSigner.fromPem(key, cert, ImaHashAlgorithm.SHA256).sign(file, ImaSigner.Storage.SIDECAR);

    TrustStore trust = TrustStore.builder().trust("bench", cert).build();
    VerificationContext context = VerificationContext.of(trust);
    ExecutableFile target = ExecutableFile.of(file);

    long firstNanos = timeVerify(target, context);
    double[] warm = new double[5];
    for (int i = 0; i < warm.length; i++) {
      warm[i] = timeVerify(target, context) / 1e6;
    }
    double[] ours = new double[rounds];
    double[] openssl = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      ours[i] = timeVerify(target, context) / 1e6;
      long t0 = System.nanoTime();
      exec(dir, "openssl", "dgst", "-sha256", file.toString());
      openssl[i] = (System.nanoTime() - t0) / 1e6;
    }
    double oursMedian = median(ours);
    double opensslMedian = median(openssl);
    System.out.printf(Locale.ROOT, "file: %d MiB, %d rounds, java %s, %s%n", mib, rounds,
        System.getProperty("java.version"), cpu());
    System.out.printf(Locale.ROOT, "JVM warm-up: first verification %.1f ms; next %s ms%n", firstNanos / 1e6,
        fmt(warm));
    System.out.printf(Locale.ROOT, "peerid ImaVerifier cold verify (sha256 + RSA-2048): median %.1f ms (min %.1f, max %.1f), %.0f MiB/s%n",
        oursMedian, min(ours), max(ours), mib / (oursMedian / 1000));
    System.out.printf(Locale.ROOT, "openssl dgst -sha256 subprocess:                    median %.1f ms (min %.1f, max %.1f), %.0f MiB/s%n",
        opensslMedian, min(openssl), max(openssl), mib / (opensslMedian / 1000));
    System.out.printf(Locale.ROOT, "ratio peerid / openssl (medians): %.3f (goal <= 1.15)%n", oursMedian / opensslMedian);
  }

  private static long timeVerify(ExecutableFile target, VerificationContext context) throws IOException {
    long t0 = System.nanoTime();
    CodeSignature sig = new ImaVerifier().verify(target, context).signature();
    long elapsed = System.nanoTime() - t0;
    if (sig.status() != SignatureStatus.VALID) {
      throw new IllegalStateException("benchmark file does not verify: " + sig);
    }
    return elapsed;
  }

  private static void exec(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  private static String cpu() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 2))
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }

  private static String fmt(double[] v) {
    StringBuilder sb = new StringBuilder();
    for (double d : v) {
      sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", d));
    }
    return sb.toString();
  }
}
