package dev.peerid.netty;

import static dev.peerid.netty.Tools.cmd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.netty.AuthServer.Outcome;
import dev.peerid.netty.AuthServer.Transport;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What re-validation catches: a signed client (a small Go program, signed with evmctl) is
 * allowed, then execs another program that inherits the connection. Same pid, same socket, new
 * executable: {@link PeerAuthenticationHandler#revalidate} must now fail.
 */
class ExecAfterConnectTest {
  @TempDir
  Path dir;

  @Test
  void revalidationCatchesAnExecAfterConnect() throws Exception {
    Tools.requireBackendAndPolicy();
    SignedClients keys = SignedClients.make(dir);
    Path go = Tools.tool("go");
    Path sleep = Tools.tool("sleep");
    Path src = dir.resolve("execafter.go");
    try (InputStream in = ExecAfterConnectTest.class.getResourceAsStream("execafter.go.txt")) {
      Files.write(src, in.readAllBytes());
    }
    Path client = dir.resolve("bin/exec-after");
    ProcessBuilder build = new ProcessBuilder(cmd(go, "build", "-o", client, src)).redirectErrorStream(true);
    build.environment().put("GOCACHE", dir.resolve("gocache").toString());
    build.environment().put("GOPATH", dir.resolve("gopath").toString());
    build.environment().put("GO111MODULE", "off");
    Process b = build.start();
    String buildOut = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, b.waitFor(), buildOut);
    SignedClients.sign(Tools.tool("evmctl"), keys.key, client);

    Path socket = dir.resolve("s.sock");
    try (PeerVerifier v = PeerVerifier.builder().trustStore(keys.trustStore())
            .policy(Policy.parse("signed by \"vendor\"")).build();
        AuthServer server = AuthServer.start(Transport.EPOLL, socket,
            PeerAuthentication.builder(v).revalidateEveryMessage().build())) {
      Process p = new ProcessBuilder(cmd(client, socket, sleep, "30")).redirectErrorStream(true).start();
      try {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("connected", out.readLine());
        Outcome o = server.next();
        assertTrue(o.event().isSuccess(), o.event().toString());
        assertEquals(p.pid(), o.event().identity().orElseThrow().process().orElseThrow().pid());
        PeerAuthenticationHandler.revalidate(o.channel()); // same process, same executable: passes

        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        Path exe = Path.of("/proc/" + p.pid() + "/exe");
        PeerAuthenticationHandlerTest.waitFor(() -> Files.readSymbolicLink(exe).equals(sleep.toRealPath()));
        assertTrue(o.channel().isActive(), "the socket survived the exec");
        PeerVerificationException e = assertThrows(PeerVerificationException.class,
            () -> PeerAuthenticationHandler.revalidate(o.channel()));
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
      } finally {
        p.destroyForcibly().waitFor();
      }
    }
  }
}
