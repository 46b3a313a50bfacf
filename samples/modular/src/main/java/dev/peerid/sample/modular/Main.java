package dev.peerid.sample.modular;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.Verdict;
import dev.peerid.linux.LinuxPeers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Accepts one connection on a Unix socket (from itself) and prints what peerid says about the
 * peer: {@code module=... pid=... executable=... decision=...}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("peerid-modular");
    Path socket = dir.resolve("s.sock");
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(socket.toFile()));
         AFUNIXSocket client = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket.toFile()));
         AFUNIXSocket accepted = server.accept();
         PeerVerifier verifier = PeerVerifier.builder()
             .trustStore(TrustStore.empty())
             .policy(Policy.parse("uid >= 0"))
             .build()) {
      Verdict verdict = verifier.verify(LinuxPeers.of(accepted));
      PeerIdentity peer = verdict.identity().orElseThrow(() -> new IllegalStateException(verdict.toString()));
      System.out.println("module=" + PeerVerifier.class.getModule().getName()
          + " backend=" + LinuxPeers.class.getModule().getName()
          + " pid=" + peer.process().orElseThrow().pid()
          + " executable=" + peer.executable().path()
          + " decision=" + (verdict.isAllowed() ? "allow" : "deny"));
    } finally {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(dir);
    }
  }
}
