package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Runs the openssl command line to make real keys and certificates for tests. */
final class Openssl {
  private Openssl() {}

  static String run(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      if (!"true".equals(System.getenv("CI"))) {
        Assumptions.abort("openssl is not installed");
      }
      throw e;
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), () -> "openssl " + String.join(" ", args) + " failed:\n" + output);
    return output;
  }

  /** A self-signed certificate (PEM) and its key (PEM) named NAME.crt / NAME.key. */
  static Path selfSigned(Path dir, String name, String keyAlg) throws IOException, InterruptedException {
    if (keyAlg.equals("ec")) {
      run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
          name + ".key", "-out", name + ".crt", "-days", "30", "-subj", "/CN=" + name + "/O=peerid test");
    } else {
      run(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
          "-days", "30", "-subj", "/CN=" + name + "/O=peerid test");
    }
    return dir.resolve(name + ".crt");
  }
}
