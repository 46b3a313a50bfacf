package dev.peerid.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.grpc.TestServer.Transport;
import dev.peerid.netty.Tools;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 1,000 connections, half allowed (a grpc-java call each), half denied: no descriptor is left behind. */
class GrpcDescriptorLeakTest {
  private static final int EACH = 500;
  private static final int WARM_UP = 20;

  @TempDir
  Path dir;

  @Test
  void aThousandConnectionsLeaveNoDescriptorBehind() throws Exception {
    Tools.requireBackendAndPolicy();
    Path allowedSocket = dir.resolve("allowed.sock");
    Path deniedSocket = dir.resolve("denied.sock");
    try (PeerVerifier allowing = PeerVerifier.builder().trustStore(TrustStore.empty())
            .policy(Policy.parse("interpreter")).build();
        PeerVerifier denying = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse("signed")).build();
        TestServer allowed = new TestServer(Transport.EPOLL, allowedSocket, allowing, Policy.parse("signed"));
        TestServer denied = new TestServer(Transport.EPOLL, deniedSocket, denying, Policy.parse("signed"));
        InProcessClient client = new InProcessClient(allowedSocket)) {
      for (int i = 0; i < WARM_UP; i++) {
        client.call(TestServer.ASK);
        refused(deniedSocket);
      }
      int before = settledFds();
      for (int i = WARM_UP; i < EACH; i++) {
        client.call(TestServer.ASK);
        refused(deniedSocket);
      }
      int after = settledFds();
      System.out.println("GrpcDescriptorLeakTest: open descriptors " + before + " before, " + after + " after "
          + 2 * (EACH - WARM_UP) + " more connections");
      assertEquals(EACH, allowed.served.get());
      assertEquals(0, denied.served.get());
      assertTrue(after - before <= 8, "descriptors before " + before + ", after " + (2 * EACH) + " connections " + after);
    }
  }

  /** Connects, sends an HTTP/2 preface, and reads until the GOAWAY (frame type 7) or the end. */
  private static void refused(Path socket) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ByteBuffer buf = ByteBuffer.allocate(4096);
      try {
        ch.write(ByteBuffer.wrap("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        // SETTINGS (9 bytes) then the GOAWAY's 9-byte header: its type is the 13th byte
        while (ch.read(buf) >= 0 && !(buf.position() >= 13 && buf.get(12) == 7)) {
          if (!buf.hasRemaining()) {
            buf.clear();
          }
        }
      } catch (IOException closedFirst) {
        // the server may close before our preface is written or read: as good as an end of file here
      }
    }
  }

  private static int settledFds() throws IOException, InterruptedException {
    // closes finish on event loops: wait until the count stops moving
    int last = Tools.openFds();
    for (int i = 0; i < 50; i++) {
      TimeUnit.MILLISECONDS.sleep(100);
      int now = Tools.openFds();
      if (now == last) {
        return now;
      }
      last = now;
    }
    return last;
  }
}
