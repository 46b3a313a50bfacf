package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Real certificates made by the openssl command-line tool. */
final class TestCertificates {
  private final Path dir;

  TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** Skips (or, when CI=true, fails) the calling test when openssl is missing. */
  static void requireOpenssl() {
    boolean present;
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      present = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      present = false;
    }
    if (!present) {
      if ("true".equals(System.getenv("CI"))) {
        fail("openssl is required on CI (apt-get install openssl)");
      }
      Assumptions.abort("openssl is not installed");
    }
  }

  /** Runs openssl in the working directory and returns its standard output. */
  String openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("openssl timed out: " + command);
    }
    assertEquals(0, p.exitValue(), () -> "openssl failed: " + command + "\n" + out);
    return out;
  }

  /** A self-signed EC P-256 certificate; {@code extra} are further {@code openssl req} options. */
  X509Certificate selfSigned(String name, String subject, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "30",
        "-subj", subject));
    args.addAll(List.of(extra));
    openssl(args.toArray(new String[0]));
    return load(name);
  }

  /** A certificate for {@code subject} issued by the certificate {@code issuer} made earlier. */
  X509Certificate issued(String name, String subject, String issuer) throws Exception {
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
        name + ".key", "-out", name + ".csr", "-subj", subject);
    openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey", issuer + ".key",
        "-set_serial", "2", "-out", name + ".pem", "-days", "30");
    return load(name);
  }

  /** The SHA-256 fingerprint as openssl prints it ({@code AB:CD:...}). */
  String opensslFingerprint(String name) throws Exception {
    String out = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", name + ".pem").trim();
    return out.substring(out.indexOf('=') + 1);
  }

  X509Certificate load(String name) throws IOException, CertificateException {
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".pem"))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
