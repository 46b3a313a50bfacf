package dev.peerid.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.Policy;
import dev.peerid.netty.SignedClients;
import dev.peerid.netty.Tools;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker with real signed and unsigned copies of curl as clients. */
class BrokerTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private Path socket;

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    socket = dir.resolve("broker.sock");
  }

  private Broker start(String config) throws Exception {
    AccessRules rules = config == null ? AccessRules.empty() : AccessRules.parse("test", config);
    return Broker.start(new Broker.Settings(socket, clients.trustStore(),
        rules.connect().orElse(Policy.parse("signed by \"vendor\"")), rules,
        rules.socketMode().orElse(AccessRules.mode("default", "0600")), true, null));
  }

  /** Runs curl; returns [status, body, pid]. */
  private String[] curl(Path curl, String method, String path, String body) throws Exception {
    List<String> c = new ArrayList<>(List.of(curl.toString(), "-s", "--max-time", "20", "--unix-socket",
        socket.toString(), "-X", method, "-w", "\n%{http_code}"));
    if (body != null) {
      c.addAll(List.of("--data-binary", body));
    }
    c.add("http://broker" + path);
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    p.getInputStream().close();
    p.getOutputStream().close();
    int nl = out.lastIndexOf('\n');
    return new String[] {out.substring(nl + 1), out.substring(0, Math.max(nl, 0)), String.valueOf(p.pid())};
  }

  @Test
  void whoamiAnswersTheVerifiedIdentityOfTheSignedClient() throws Exception {
    try (Broker b = start(null)) {
      String[] r = curl(clients.signedCurl, "GET", "/whoami", null);
      assertEquals("200", r[0], r[1]);
      assertTrue(r[1].contains("\"pid\":" + r[2] + ","), r[1]);
      assertTrue(r[1].contains("\"status\":\"valid\""), r[1]);
      assertTrue(r[1].contains("\"trustName\":\"vendor\""), r[1]);
      assertTrue(r[1].contains("\"decision\":\"allow\""), r[1]);
      assertTrue(r[1].contains("\"path\":\"" + clients.signedCurl.toRealPath() + "\""), r[1]);
    }
  }

  @Test
  void theAuditFileTheConfigNamesGetsOneJsonLinePerConnection() throws Exception {
    Path audit = dir.resolve("audit.jsonl");
    String[] allowed;
    String[] denied;
    try (Broker b = start("audit " + audit + "\n")) {
      allowed = curl(clients.signedCurl, "GET", "/whoami", null);
      denied = curl(clients.unsignedCurl, "GET", "/whoami", null);
      assertEquals("200", allowed[0], allowed[1]);
      assertEquals("403", denied[0], denied[1]);
    }
    List<String> lines = Files.readAllLines(audit);
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("{\"path\":\"" + clients.signedCurl.toRealPath() + "\",\"pid\":" + allowed[2] + ","),
        lines.get(0));
    assertTrue(lines.get(0).contains("\"decision\":\"allow\""), lines.get(0));
    assertTrue(lines.get(1).contains("\"pid\":" + denied[2] + ","), lines.get(1));
    assertTrue(lines.get(1).contains("\"decision\":\"deny\""), lines.get(1));
    assertTrue(lines.get(1).matches(".*\"reasons\":\\[\"[^\"]+.*"), lines.get(1));
    assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("test", "audit\n"));
    assertThrows(AccessRules.ConfigException.class, () -> AccessRules.parse("test", "audit a\naudit b\n"));
  }

  @Test
  void anUnsignedCopyIsRefusedWithReasonsAndNeverGetsA200() throws Exception {
    try (Broker b = start(null)) {
      String[] r = curl(clients.unsignedCurl, "GET", "/whoami", null);
      assertEquals("403", r[0], r[1]);
      assertTrue(r[1].contains("\"error\":\"peer denied\""), r[1]);
      assertFalse(r[1].contains("\"decision\":\"allow\""), r[1]);
    }
  }

  @Test
  void theSignedClientInAUserNamespaceOfItsOwnNeverGetsA200() throws Exception {
    Path unshare = Tools.tool("unshare");
    try (Broker b = start(null)) {
      Process p = new ProcessBuilder(unshare.toString(), "-U", "-r", clients.signedCurl.toString(), "-s", "--max-time",
          "20", "--unix-socket", socket.toString(), "-w", "\n%{http_code}", "http://broker/whoami")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertTrue(out.endsWith("\n403"), out);
      assertTrue(out.contains("user namespace of its own"), out);
      assertFalse(out.contains("\"decision\":\"allow\""), out);
    }
  }

  @Test
  void topicMessagesAreStampedWithThePublishersVerifiedIdentity() throws Exception {
    try (Broker b = start(null)) {
      String[] post = curl(clients.signedCurl, "POST", "/topics/news", "hello \"world\"");
      assertEquals("201", post[0], post[1]);
      String[] get = curl(clients.signedCurl, "GET", "/topics/news", null);
      assertEquals("200", get[0], get[1]);
      assertTrue(get[1].contains("\"body\":\"hello \\\"world\\\"\""), get[1]);
      assertTrue(get[1].contains("\"publisher\":{\"pid\":" + post[2] + ","), get[1]);
      assertTrue(get[1].contains("\"signer\":\"vendor\""), get[1]);
      assertTrue(get[1].matches("(?s).*\"keyId\":\"[0-9a-f]{8}\".*"), get[1]);
      assertEquals("400", curl(clients.signedCurl, "GET", "/topics/..%2f", null)[0]);
    }
  }

  @Test
  void aRouteOrTopicDeniedToAnAllowedPeerAnswers403WithReasons() throws Exception {
    try (Broker b = start(String.join("\n",
        "connect signed by \"vendor\"",
        "route GET /whoami uid = 4242",
        "topic publish locked uid = 4242"))) {
      String[] r = curl(clients.signedCurl, "GET", "/whoami", null);
      assertEquals("403", r[0], r[1]);
      assertTrue(r[1].contains("\"error\":\"route GET /whoami denied\""), r[1]);
      assertTrue(r[1].matches("(?s).*\"reasons\":\\[\".+\"\\].*"), r[1]);
      String[] p = curl(clients.signedCurl, "POST", "/topics/locked", "x");
      assertEquals("403", p[0], p[1]);
      assertEquals("201", curl(clients.signedCurl, "POST", "/topics/open", "x")[0]);
    }
  }

  @Test
  void theSocketFileGetsTheConfiguredPermissions() throws Exception {
    try (Broker b = start(null)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }
    assertFalse(Files.exists(socket), "removed on close");
    try (Broker b = start("socket-mode 0660")) {
      assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }
  }

  @Test
  void aStaleSocketIsReplacedButALiveOneOrAPlainFileIsNot() throws Exception {
    try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      live.bind(UnixDomainSocketAddress.of(socket));
      IOException e = assertThrows(IOException.class, () -> start(null));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
    // closing a JDK server channel leaves its socket file behind: now it is stale
    assertTrue(Files.exists(socket));
    try (Broker b = start(null)) {
      assertEquals("200", curl(clients.signedCurl, "GET", "/whoami", null)[0]);
    }
    Files.writeString(socket, "not a socket");
    IOException e = assertThrows(IOException.class, () -> start(null));
    assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    assertEquals("not a socket", Files.readString(socket));
  }

  @Test
  void sigtermStopsTheServeCommandCleanly() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        BrokerMain.class.getName(), "serve", "--socket", socket.toString(), "--trust", "vendor=" + clients.certificate,
        "--policy", "signed by \"vendor\"").redirectErrorStream(true).start();
    try {
      StringBuilder out = new StringBuilder();
      var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = reader.readLine();
      out.append(line);
      assertTrue(line != null && line.startsWith("broker: listening on "), String.valueOf(line));
      assertEquals("200", curl(clients.signedCurl, "GET", "/whoami", null)[0]);
      p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its pipes)
      String rest = reader.lines().collect(Collectors.joining("\n"));
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopped after SIGTERM");
      assertTrue(rest.contains("broker: stopped"), rest);
      assertFalse(Files.exists(socket), "the socket file is removed on SIGTERM");
    } finally {
      p.destroyForcibly();
      p.getInputStream().close();
      p.getOutputStream().close();
    }
  }

  @Test
  void aMessageLargerThanATopicMayHoldIs413AndAFullStoreIs507() throws Exception {
    AccessRules rules = AccessRules.parse("test", "max-stored-bytes 40KiB\nmax-topic-bytes 24KiB");
    try (Broker b = Broker.start(new Broker.Settings(socket, clients.trustStore(), Policy.parse("signed by \"vendor\""),
        rules, AccessRules.mode("default", "0600"), true, null))) {
      Path body = dir.resolve("body");
      Files.writeString(body, "x".repeat(15_000));
      Files.writeString(dir.resolve("big"), "\u0001".repeat(6_000)); // 36 000 bytes of JSON: more than a topic holds
      String[] tooBig = curl(clients.signedCurl, "POST", "/topics/a", "@" + dir.resolve("big"));
      assertEquals("413", tooBig[0], tooBig[1]);
      assertTrue(tooBig[1].contains("more than a topic may hold"), tooBig[1]);
      assertEquals("201", curl(clients.signedCurl, "POST", "/topics/a", "@" + body)[0]);
      assertEquals("201", curl(clients.signedCurl, "POST", "/topics/a", "@" + body)[0], "the oldest of the topic goes");
      assertEquals("201", curl(clients.signedCurl, "POST", "/topics/b", "@" + body)[0]);
      String[] full = curl(clients.signedCurl, "POST", "/topics/c", "@" + body);
      assertEquals("507", full[0], full[1]);
      assertTrue(full[1].contains("the broker's message store is full"), full[1]);
      String[] a = curl(clients.signedCurl, "GET", "/topics/a", null);
      assertEquals("200", a[0]);
      assertEquals(1, a[1].split("\"seq\":", -1).length - 1, "one message left in topic a: " + a[1].length());
      assertEquals("200", curl(clients.signedCurl, "GET", "/whoami", null)[0], "others are still served");
    }
  }
}
