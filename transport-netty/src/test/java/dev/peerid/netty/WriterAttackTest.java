package dev.peerid.netty;

import static dev.peerid.netty.Tools.cmd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.netty.AuthServer.Outcome;
import dev.peerid.netty.AuthServer.Transport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Other processes writing over a verified client's connection, through the handler with its
 * default options (no re-validation asked for), on epoll and on NIO over junixsocket. The client
 * is a small Go program signed with evmctl; the verdict about the process that connected stays
 * right throughout; what must not happen is another writer's bytes reaching the application.
 */
@Timeout(90)
class WriterAttackTest {
  @TempDir
  static Path dir;
  static SignedClients keys;
  static Path writers;

  @TempDir
  Path run;
  private final List<Process> started = new ArrayList<>();

  @BeforeAll
  static void build() throws Exception {
    Tools.requireBackendAndPolicy();
    keys = SignedClients.make(dir);
    writers = keys.signedGoProgram(dir, "writers.go.txt", "writers");
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void connectionHandedToAnUnsignedShellIsClosedUnread(Transport t) throws Exception {
    Path sh = Tools.tool("sh");
    try (PeerVerifier v = verifier(); AuthServer server = server(t, v)) {
      Process p = start(writers, "handoff", socket(), sh, "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; exec sleep 120");
      Outcome o = server.next();
      assertTrue(o.event().isSuccess(), "the signed client connected and stays alive: " + o.event());
      assertEquals(p.pid(), o.event().identity().orElseThrow().process().orElseThrow().pid());
      assertTrue(o.channel().closeFuture().await(20, TimeUnit.SECONDS), "the channel is closed");
      assertEquals(0, server.appReads.get(), "not a byte of the shell's reached the application");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void verifiedClientThatExecsAnUnsignedProgramIsClosedUnread(Transport t) throws Exception {
    Path sh = Tools.tool("sh");
    try (PeerVerifier v = verifier(); AuthServer server = server(t, v)) {
      Process p = start(writers, "exec-later", socket(), sh, "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; exec sleep 120");
      Outcome o = server.next();
      assertTrue(o.event().isSuccess(), o.event().toString());
      p.getOutputStream().write('\n');
      p.getOutputStream().flush();
      Path exe = Path.of("/proc/" + p.pid() + "/exe");
      PeerAuthenticationHandlerTest.waitFor(() -> !Files.readSymbolicLink(exe).equals(writers.toRealPath()));
      assertTrue(o.channel().closeFuture().await(20, TimeUnit.SECONDS), "the channel is closed");
      assertEquals(0, server.appReads.get(), "not a byte written after the exec reached the application");
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void childRunningTheSameSignedFileIsServed(Transport t) throws Exception {
    try (PeerVerifier v = verifier(); AuthServer server = server(t, v)) {
      Process p = start(writers, "handoff", socket(), writers, "fd3", "-");
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("connected", out.readLine());
      long child = Long.parseLong(out.readLine().substring("child ".length()));
      assertNotEquals(p.pid(), child);
      Outcome o = server.next();
      assertTrue(o.event().isSuccess(), o.event().toString());
      PeerAuthenticationHandlerTest.waitFor(() -> server.appReads.get() == 1);
      assertTrue(o.channel().closeFuture().await(20, TimeUnit.SECONDS), "answered and closed by the application");
    }
  }

  private Path socket() {
    return run.resolve("s.sock");
  }

  private Process start(Object... command) throws Exception {
    Process p = new ProcessBuilder(cmd(command)).redirectErrorStream(true).start();
    started.add(p);
    return p;
  }

  private AuthServer server(Transport t, PeerVerifier v) throws Exception {
    return AuthServer.start(t, socket(), PeerAuthentication.builder(v).build());
  }

  private static PeerVerifier verifier() throws Exception {
    return PeerVerifier.builder().trustStore(keys.trustStore()).policy(Policy.parse("signed by \"vendor\"")).build();
  }
}
