package dev.peerid.linux;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A JDK Unix-domain server in a JVM of its own (so that the test chooses the JDK and its flags):
 * binds {@code args[0]}, prints READY, then for each of {@code args[2]} connections prints the
 * verdict on its peer under {@code signed by "live-test"} with the certificate {@code args[1]}.
 */
public final class JdkChannelServerMain {
  private JdkChannelServerMain() {}

  public static void main(String[] args) throws Exception {
    TrustStore trust = TrustStore.builder().trust("live-test", Path.of(args[1])).build();
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(trust)
            .policy(Policy.parse("signed by \"live-test\"")).build();
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(args[0]));
      System.out.println("READY");
      System.out.flush();
      for (int i = Integer.parseInt(args[2]); i > 0; i--) {
        try (SocketChannel client = server.accept()) {
          PeerHandle handle;
          try {
            handle = JdkChannels.handle(client);
          } catch (PeerIdentificationException e) {
            System.out.println("NO-HANDLE " + e.getMessage());
            continue;
          }
          Verdict v = verifier.verify(handle);
          System.out.println((v.isAllowed() ? "ALLOWED " : "DENIED ")
              + v.identity().map(id -> id.process().orElseThrow().pid() + " " + id.executable().path()).orElse("-")
              + " " + String.join("; ", v.reasons()));
          System.out.flush();
        }
      }
    }
  }
}
