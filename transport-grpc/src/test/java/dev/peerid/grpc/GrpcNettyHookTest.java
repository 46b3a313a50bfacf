package dev.peerid.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.grpc.TestServer.Transport;
import dev.peerid.netty.Tools;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guards {@link GrpcNettyHook}, the one class on grpc-netty's {@code Internal*} API: if a gRPC
 * upgrade changes how server negotiation runs (who fires the negotiation event, how handlers
 * replace themselves, how attributes reach calls), these fail with a message that says where to look.
 */
class GrpcNettyHookTest {
  private static final String BROKEN = "grpc-netty's server negotiation no longer works the way GrpcNettyHook "
      + "expects (was the grpc.version in the parent pom changed?): ";

  @TempDir
  Path dir;

  @Test
  void theVerdictReachesTheCallThroughTheNegotiationAttributes() throws Exception {
    Tools.requireBackendAndPolicy();
    Path socket = dir.resolve("hook.sock");
    long uid = (Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    try (PeerVerifier v = PeerVerifier.builder().trustStore(TrustStore.empty())
            .policy(Policy.parse("interpreter and uid = " + uid)).build();
        TestServer server = new TestServer(Transport.EPOLL, socket, v, Policy.parse("signed"));
        InProcessClient client = new InProcessClient(socket)) {
      String reply;
      try {
        reply = client.call(TestServer.ASK);
      } catch (StatusRuntimeException e) {
        fail(BROKEN + "an allowed peer's call failed: " + e.getStatus(), e);
        return;
      }
      assertEquals("pid=" + ProcessHandle.current().pid(), reply.substring(0, reply.indexOf(' ')),
          BROKEN + "the identity in the call is not the verified peer's");
      assertEquals(1, server.served.get());
    }
  }

  @Test
  void aDeniedGrpcJavaClientSeesTheReasons() throws Exception {
    Tools.requireBackendAndPolicy();
    Path socket = dir.resolve("hook-denied.sock");
    try (PeerVerifier v = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse("signed")).build();
        TestServer server = new TestServer(Transport.EPOLL, socket, v, Policy.parse("signed"));
        InProcessClient client = new InProcessClient(socket)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.call(TestServer.ASK));
      Status s = e.getStatus();
      assertEquals(Status.Code.PERMISSION_DENIED, s.getCode(), s.toString());
      assertTrue(String.valueOf(s.getDescription()).contains("peerid: ")
          && String.valueOf(s.getDescription()).contains("interpreter"), s.toString());
      assertEquals(0, server.served.get(), "a denied connection reached a service method");
    }
  }
}
