package dev.peerid.linux;

import dev.peerid.PeerIdentificationException;
import dev.peerid.spi.PeerProcess;
import java.io.File;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A one-connection server that tests run in a separate JVM where the test JVM cannot be: inside a
 * new PID namespace ({@link PidNamespaceTest}) or as another user ({@link UnprivilegedServerTest}).
 * Prints READY, then ATTACHED or DENIED with the backend's message.
 */
public final class ServerProbe {
  private ServerProbe() {}

  public static void main(String[] args) throws Exception {
    try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(new File(args[0])))) {
      System.out.println("READY");
      System.out.flush();
      server.setSoTimeout(30_000);
      try (AFUNIXSocket s = server.accept(); PeerProcess p = new LinuxPeerBackend().attach(LinuxPeers.of(s))) {
        System.out.println("ATTACHED pid=" + p.process().pid());
      } catch (PeerIdentificationException e) {
        System.out.println("DENIED " + e.getMessage());
      }
    }
  }
}
