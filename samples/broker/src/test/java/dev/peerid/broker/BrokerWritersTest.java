package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.Policy;
import dev.peerid.netty.SignedClients;
import dev.peerid.netty.Tools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker, when the request on a signed client's connection is written by another process: an
 * unsigned shell the client handed the connection to, or the client itself after an exec of the
 * shell. The process that connected is signed and allowed; the request must get no 200.
 */
@Timeout(90)
class BrokerWritersTest {
  @TempDir
  static Path dir;
  static SignedClients clients;
  static Path writers;

  @TempDir
  Path run;

  @BeforeAll
  static void build() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    writers = clients.signedGoProgram(dir, "writers.go.txt", "writers");
  }

  @Test
  void aRequestFromAShellTheSignedClientHandedItsConnectionToGetsNo200() throws Exception {
    Path answer = run.resolve("answer");
    try (Broker b = start()) {
      Process p = new ProcessBuilder(writers.toString(), "handoff", b.socket().toString(), "/bin/sh", "-c",
          request(answer)).redirectErrorStream(true).start();
      try {
        assertEquals("connected", new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine());
        String got = awaitAnswer(answer);
        assertFalse(got.contains(" 200 "), "the shell was served as the signed client: " + got);
        assertTrue(got.isEmpty(), "closed without an answer: " + got);
      } finally {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRequestWrittenAfterTheSignedClientExecdAShellGetsNo200() throws Exception {
    Path answer = run.resolve("answer");
    try (Broker b = start()) {
      Process p = new ProcessBuilder(writers.toString(), "exec-later", b.socket().toString(), "/bin/sh", "-c",
          request(answer)).redirectErrorStream(true).start();
      try {
        assertEquals("connected", new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
            .readLine());
        Thread.sleep(200); // let the broker allow the signed client first
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        String got = awaitAnswer(answer);
        assertFalse(got.contains(" 200 "), "the shell was served as the signed client: " + got);
        assertTrue(got.isEmpty(), "closed without an answer: " + got);
      } finally {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Writes a request over fd 3 and saves what comes back, then says it is done. */
  private static String request(Path answer) {
    return "printf 'GET /whoami HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3 > " + answer + "; touch " + answer + ".done";
  }

  private static String awaitAnswer(Path answer) throws Exception {
    Path done = answer.resolveSibling(answer.getFileName() + ".done");
    for (int i = 0; i < 2000 && !Files.exists(done); i++) {
      Thread.sleep(10);
    }
    assertTrue(Files.exists(done), "the connection was not closed within 20 s");
    return Files.readString(answer);
  }

  private Broker start() throws Exception {
    AccessRules rules = AccessRules.empty();
    return Broker.start(new Broker.Settings(run.resolve("broker.sock"), clients.trustStore(),
        Policy.parse("signed by \"vendor\""), rules, AccessRules.mode("default", "0600"), true, null));
  }

}
