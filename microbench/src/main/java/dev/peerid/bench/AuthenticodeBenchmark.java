package dev.peerid.bench;

import dev.peerid.CodeSignature;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.windows.authenticode.AuthenticodeVerifier;
import dev.peerid.windows.authenticode.ImageHasher;
import dev.peerid.windows.authenticode.PeImage;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Authenticode verification of a signed PE of at least 10 MiB: peerid's pure-Java verifier (in
 * process, warm) against {@code osslsigncode verify} of the same file, and the image-hash throughput
 * against {@code openssl dgst -sha256} of the same bytes, measured side by side in one run.
 *
 * <p>Needs x86_64-w64-mingw32-gcc, osslsigncode and openssl on the PATH. Usage:
 * {@code java -cp ... dev.peerid.bench.AuthenticodeBenchmark [sizeMiB] [rounds]}.
 */
public final class AuthenticodeBenchmark {
  private AuthenticodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("peerid-authenticode-bench");
    Path signed = buildSignedPe(dir, mib);
    long size = Files.size(signed);
    System.out.printf("signed PE: %s (%.1f MiB)%n", signed, size / 1048576.0);

    TrustStore trust = TrustStore.builder().trust("bench", dir.resolve("cert.pem")).build();
    AuthenticodeVerifier verifier = new AuthenticodeVerifier();
    VerificationContext context = VerificationContext.of(trust);
    CodeSignature first = verifier.verify(ExecutableFile.of(signed), context).signature();
    if (!first.isValid()) {
      throw new IllegalStateException("benchmark file does not verify: " + first);
    }
    // Warm until both paths are compiled by C2 (fewer rounds leave verification partly interpreted).
    for (int i = 0; i < 40; i++) {
      verifier.verify(ExecutableFile.of(signed), context);
      javaImageHash(signed);
    }

    double[] ours = new double[rounds];
    double[] ossl = new double[rounds];
    double[] hash = new double[rounds];
    double[] dgst = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      CodeSignature sig = verifier.verify(ExecutableFile.of(signed), context).signature();
      ours[i] = ms(System.nanoTime() - t0);
      if (!sig.isValid()) {
        throw new IllegalStateException("verification changed: " + sig);
      }
      ossl[i] = timeCommand(dir, "osslsigncode", "verify", "-CAfile", "cert.pem", "-in", signed.toString());
      t0 = System.nanoTime();
      javaImageHash(signed);
      hash[i] = ms(System.nanoTime() - t0);
      dgst[i] = timeCommand(dir, "openssl", "dgst", "-sha256", signed.toString());
    }
    double oursMed = median(ours);
    double osslMed = median(ossl);
    double hashMed = median(hash);
    double dgstMed = median(dgst);
    double processStart = median(startupOnly(dir, rounds));
    System.out.printf("%-48s %10s %10s%n", "measurement (" + rounds + " rounds, median)", "ms", "MiB/s");
    System.out.printf("%-48s %10.2f %10.0f%n", "peerid verify (pure Java, warm, in-process)", oursMed, mibs(size, oursMed));
    System.out.printf("%-48s %10.2f %10.0f%n", "osslsigncode verify (new process)", osslMed, mibs(size, osslMed));
    System.out.printf("%-48s %10.2f %10.0f%n", "peerid Authenticode SHA-256 image hash", hashMed, mibs(size, hashMed));
    System.out.printf("%-48s %10.2f %10.0f%n", "openssl dgst -sha256 (new process)", dgstMed, mibs(size, dgstMed));
    System.out.printf("%-48s %10.2f%n", "  of which process start (openssl version)", processStart);
    System.out.printf("verify ratio   peerid / osslsigncode        = %.2f  (goal < 1)%n", oursMed / osslMed);
    System.out.printf("hash ratio     peerid / openssl dgst        = %.2f  (goal <= 1.15)%n", hashMed / dgstMed);
    System.out.printf("hash ratio     peerid / (dgst - start-up)   = %.2f%n", hashMed / Math.max(0.01, dgstMed - processStart));
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /** A mingw program with {@code mib} MiB of random .rdata, signed by a leaf of a fresh CA ({@code cert.pem}). */
  static Path buildSignedPe(Path dir, int mib) throws IOException, InterruptedException {
    byte[] blob = new byte[mib << 20];
    new Random(42).nextBytes(blob);
    Files.write(dir.resolve("blob.bin"), blob);
    Files.writeString(dir.resolve("big.c"), String.join("\n",
        "#include <stdio.h>",
        "__asm__(\".section .rdata,\\\"dr\\\"\\n.globl blob\\nblob:\\n.incbin \\\"blob.bin\\\"\\n.text\\n\");",
        "extern const unsigned char blob[];",
        "int main(void) { printf(\"%d\\n\", blob[12345]); return 0; }", ""), StandardCharsets.UTF_8);
    run(dir, "x86_64-w64-mingw32-gcc", "-O2", "-o", "big.exe", "big.c");
    // A CA and a leaf, so verification builds a PKIX path as it does for real vendors.
    run(dir, "openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "ca-key.pem", "-out", "cert.pem",
        "-days", "30", "-subj", "/CN=peerid bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign");
    run(dir, "openssl", "req", "-newkey", "rsa:3072", "-nodes", "-keyout", "key.pem", "-out", "leaf.csr", "-subj",
        "/CN=peerid bench signer");
    Files.writeString(dir.resolve("leaf.ext"), "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        + "extendedKeyUsage=codeSigning\n");
    run(dir, "openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "cert.pem", "-CAkey", "ca-key.pem",
        "-CAcreateserial", "-days", "30", "-extfile", "leaf.ext", "-out", "leaf.pem");
    run(dir, "osslsigncode", "sign", "-certs", "leaf.pem", "-key", "key.pem", "-h", "sha256", "-in", "big.exe",
        "-out", "big-signed.exe");
    return dir.resolve("big-signed.exe");
  }

  static void javaImageHash(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ImageHasher.hash(ch, PeImage.parse(ch), Set.of("SHA-256"), false);
    } catch (dev.peerid.windows.authenticode.PeFormatException e) {
      throw new IOException(e);
    }
  }

  static double[] startupOnly(Path dir, int rounds) throws IOException, InterruptedException {
    double[] t = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      t[i] = timeCommand(dir, "openssl", "version");
    }
    return t;
  }

  static double timeCommand(Path dir, String... cmd) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    run(dir, cmd);
    return ms(System.nanoTime() - t0);
  }

  static void run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("failed: " + String.join(" ", cmd));
    }
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static double mibs(long bytes, double ms) {
    return bytes / 1048576.0 / (ms / 1000.0);
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
