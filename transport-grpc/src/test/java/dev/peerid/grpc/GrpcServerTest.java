package dev.peerid.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.grpc.TestServer.Transport;
import dev.peerid.netty.SignedClients;
import dev.peerid.netty.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * gRPC over a Unix socket with real clients: a signed copy of curl speaking gRPC is served with
 * its identity, an unsigned copy and a signed python3 are refused before gRPC sees a frame, and a
 * method policy refuses a call with PERMISSION_DENIED and the reasons.
 */
class GrpcServerTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private Path socket;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    socket = dir.resolve("grpc.sock");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private TestServer server(Transport transport, String policy, String adminPolicy) throws Exception {
    PeerVerifier v = PeerVerifier.builder().trustStore(clients.trustStore()).policy(Policy.parse(policy)).build();
    closeAfter.add(v);
    TestServer s = new TestServer(transport, socket, v, Policy.parse(adminPolicy));
    closeAfter.add(s);
    return s;
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void signedCurlSpeakingGrpcIsServedWithItsVerifiedIdentity(Transport transport) throws Exception {
    TestServer server = server(transport, "signed by \"vendor\"", "signed");
    GrpcCurl.Reply r = GrpcCurl.call(clients.signedCurl, socket, TestServer.ASK, dir);
    assertEquals(0, r.exit(), r.stderr());
    assertEquals(0, r.grpcStatus(), r.headers());
    assertEquals("pid=" + r.pid() + " exe=" + clients.signedCurl, r.message());
    assertEquals(1, server.served.get());
  }

  @Test
  void unsignedCurlAndASignedInterpreterNeverReachAServiceMethod() throws Exception {
    TestServer server = server(Transport.EPOLL, "signed by \"vendor\"", "signed");
    GrpcCurl.Reply unsigned = GrpcCurl.call(clients.unsignedCurl, socket, TestServer.ASK, dir);
    assertNotEquals(0, unsigned.exit(), "curl should fail: " + unsigned.headers());
    assertEquals(-1, unsigned.grpcStatus(), "no gRPC response at all: " + unsigned.headers());

    Path python = dir.resolve("bin/python3");
    // the system's binary, not a version manager's shim script found first on PATH
    Path system = Path.of("/usr/bin/python3");
    Path real = (Files.isExecutable(system) ? system : Tools.tool("python3")).toRealPath();
    Files.copy(real, python, StandardCopyOption.REPLACE_EXISTING);
    SignedClients.sign(Tools.tool("evmctl"), clients.key, python);
    Process p = new ProcessBuilder(GrpcCurl.pythonClient(python, socket)).redirectErrorStream(true).start();
    String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    // the GOAWAY's debug data: the reasons, for the person running the client
    assertTrue(got.contains("peerid: ") && got.contains("the peer runs " + python + ", an interpreter")
        && !got.contains("unsigned"), got);

    assertEquals(0, server.served.get(), "a denied connection reached a service method");
    GrpcCurl.Reply signed = GrpcCurl.call(clients.signedCurl, socket, TestServer.ASK, dir);
    assertEquals(0, signed.grpcStatus(), signed.headers() + signed.stderr());
    assertEquals(1, server.served.get());
  }

  @Test
  void aMethodPolicyRefusesTheCallWithPermissionDeniedAndTheReasons() throws Exception {
    TestServer server = server(Transport.EPOLL, "signed by \"vendor\"", "signed by \"vendor\" and uid = 4242424");
    GrpcCurl.Reply r = GrpcCurl.call(clients.signedCurl, socket, TestServer.ADMIN, dir);
    assertEquals(7, r.grpcStatus(), r.headers()); // PERMISSION_DENIED
    assertTrue(r.grpcMessage().contains(TestServer.ADMIN) && r.grpcMessage().contains("uid"), r.grpcMessage());
    assertEquals(0, server.served.get());
    // the same connection policy still serves the method without one
    assertEquals(0, GrpcCurl.call(clients.signedCurl, socket, TestServer.ASK, dir).grpcStatus());
    assertEquals(1, server.served.get());
  }
}
