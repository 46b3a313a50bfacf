package dev.peerid.linux;

import dev.peerid.PeerIdentificationException;
import dev.peerid.spi.PeerProcess;
import java.io.File;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A server run by {@link PidNamespaceTest} inside a new PID namespace: its peer (the test JVM, in
 * the parent namespace) has no pid it can see, so SO_PEERCRED reports pid 0.
 */
public final class PidNamespaceProbe {
  private PidNamespaceProbe() {}

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
