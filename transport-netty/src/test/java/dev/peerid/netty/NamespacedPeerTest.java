package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.SignatureStatus;
import dev.peerid.netty.AuthServer.Outcome;
import dev.peerid.netty.AuthServer.Transport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The signed client run from a user namespace of its own ({@code unshare -U -r}, which any user may
 * do): there it could have renamed its own executable, so the handler refuses it unless the policy
 * names {@code namespaced}; the same client in the server's namespaces is served.
 */
class NamespacedPeerTest {
  @TempDir
  Path dir;

  private SignedClients clients;
  private Path socket;
  private Path unshare;

  @BeforeEach
  void setUp() throws Exception {
    Tools.requireBackendAndPolicy();
    clients = SignedClients.make(dir);
    unshare = Tools.tool("unshare");
    socket = dir.resolve("s.sock");
    Tools.run(Tools.cmd(unshare, "-U", "-r", "true")); // user namespaces allowed here (fails the test if not)
  }

  private PeerVerifier verifier(String policy) throws Exception {
    return PeerVerifier.builder().trustStore(clients.trustStore()).policy(Policy.parse(policy)).build();
  }

  private Clients.Run namespacedCurl() throws Exception {
    List<String> c = new ArrayList<>(Tools.cmd(unshare, "-U", "-r", clients.signedCurl, "-sS", "--max-time", "30",
        "--unix-socket", socket, "-w", "\\n%{http_code}", "http://localhost/"));
    return Clients.start(c);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void signedClientInAUserNamespaceOfItsOwnIsRefused(Transport t) throws Exception {
    try (PeerVerifier v = verifier("signed by \"vendor\"");
        AuthServer server = AuthServer.start(t, socket, PeerAuthentication.builder(v).build())) {
      Clients.Run genuine = Clients.curl(clients.signedCurl, socket);
      assertEquals("allowed pid=" + genuine.pid() + "\n200", genuine.finish());
      assertTrue(server.next().event().isSuccess());

      Clients.Run curl = namespacedCurl();
      assertNotEquals(0, curl.exitCode(), curl.finish());
      assertFalse(curl.finish().contains("allowed"), curl.finish());
      Outcome o = server.next();
      assertFalse(o.event().isSuccess());
      PeerIdentity id = o.event().identity().orElseThrow();
      assertTrue(id.risks().namespaced(), id.risks().toString());
      assertEquals(SignatureStatus.VALID, id.signature().status(), "the file it names is the vendor's");
      assertTrue(String.join(" ", o.event().reasons()).contains("user namespace of its own"), o.event().reasons().toString());
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void signedClientInAUserNamespaceIsServedWithTheOptIn(Transport t) throws Exception {
    try (PeerVerifier v = verifier("signed by \"vendor\" and namespaced");
        AuthServer server = AuthServer.start(t, socket, PeerAuthentication.builder(v).build())) {
      Clients.Run curl = namespacedCurl();
      assertTrue(curl.finish().endsWith("\n200"), curl.finish());
      Outcome o = server.next();
      assertTrue(o.event().isSuccess(), o.event().toString());
      assertTrue(o.event().identity().orElseThrow().risks().namespaced());
    }
  }
}
