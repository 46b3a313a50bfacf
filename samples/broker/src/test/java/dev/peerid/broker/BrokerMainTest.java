package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.netty.Tools;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Command-line mistakes give a clear message and a distinct exit status; nothing is started. */
class BrokerMainTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return BrokerMain.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void usageMistakesExitWith2() {
    assertEquals(2, run());
    assertEquals(2, run("bogus"));
    assertTrue(err().contains("unknown command 'bogus'"), err());
    assertEquals(2, run("serve"));
    assertTrue(err().contains("--socket PATH is required"), err());
    assertEquals(2, run("serve", "--socket"));
    assertTrue(err().contains("--socket needs a value"), err());
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--socket-mode", "777x"));
    assertTrue(err().contains("socket mode must be octal"), err());
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--revoke", "nonsense"));
    assertTrue(err().contains("--revoke: "), err());
  }

  @Test
  void timestampAuthoritiesAreTrustedApartFromPublishers() throws Exception {
    Path cert = dir.resolve("tsa.pem");
    Process keytool = new ProcessBuilder("keytool", "-genkeypair", "-keystore", dir.resolve("ks.p12").toString(),
        "-storepass", "changeit", "-alias", "tsa", "-keyalg", "EC", "-dname", "CN=test TSA").inheritIO().start();
    assertEquals(0, keytool.waitFor());
    Process export = new ProcessBuilder("keytool", "-exportcert", "-rfc", "-keystore", dir.resolve("ks.p12").toString(),
        "-storepass", "changeit", "-alias", "tsa", "-file", cert.toString()).inheritIO().start();
    assertEquals(0, export.waitFor());
    Broker.Settings settings = BrokerMain.parseServe(java.util.List.of("--socket", dir.resolve("s").toString(),
        "--trust-tsa", "stamps=" + cert), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("stamps", settings.trust().timestampAuthorities().get(0).name());
    assertTrue(settings.trust().isEmpty(), "a timestamp authority is no publisher");
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--trust-tsa", dir.resolve("none").toString()));
    assertTrue(err().contains("--trust-tsa: "), err());
  }

  @Test
  void aBadPolicyOrConfigNamesTheProblem() throws Exception {
    Tools.requirePolicy();
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--policy", "signed by"));
    assertTrue(err().contains("--policy: "), err());
    Path config = dir.resolve("broker.conf");
    Files.writeString(config, "connect signed\nroute GET /x frobnicate\n");
    assertEquals(1, run("serve", "--socket", dir.resolve("s").toString(), "--config", config.toString()));
    assertTrue(err().contains(config + " line 2: "), err());
    Files.writeString(config, "connect signed\n");
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--config", config.toString(),
        "--policy", "signed"));
    assertTrue(err().contains("either with --policy or in the config file"), err());
    assertTrue(Files.notExists(dir.resolve("s")), "nothing was started");
  }

  @Test
  void limitsComeFromTheConfigFileAndTheCommandLineWins() throws Exception {
    Tools.requirePolicy();
    Path config = dir.resolve("broker.conf");
    Files.writeString(config, "max-stored-bytes 8MiB\nidle-timeout 30s\n");
    Broker.Settings s = BrokerMain.parseServe(java.util.List.of("--socket", dir.resolve("s").toString(), "--config",
        config.toString(), "--idle-timeout", "5s", "--header-timeout", "2s"), new PrintStream(err, true,
        StandardCharsets.UTF_8));
    assertEquals(new BrokerLimits(8L << 20, 1L << 20, java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(2)),
        s.limits());
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--max-stored-bytes", "1TB"));
    assertTrue(err().contains("--max-stored-bytes: expected a size such as 65536, 512KiB or 32MiB, got '1TB'"), err());
    assertEquals(2, run("serve", "--socket", dir.resolve("s").toString(), "--header-timeout"));
    assertTrue(err().contains("--header-timeout needs a value"), err());
  }
}
