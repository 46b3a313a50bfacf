package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A channel without a Unix socket behind it fails closed, with one event and a reason. */
class UnsupportedChannelTest {
  @Test
  void aChannelWithoutASocketIsDeniedAndClosed() throws Exception {
    Tools.requirePolicy(); // and no backend: the handler finds no socket before it asks one
    List<Object> seen = new ArrayList<>();
    try (PeerVerifier v = PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse("signed")).build()) {
      EmbeddedChannel ch = new EmbeddedChannel();
      ch.pipeline().addLast(new PeerAuthenticationHandler(v));
      ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          seen.add(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          seen.add(msg);
        }
      });
      ch.runPendingTasks();
      assertEquals(1, seen.size(), seen.toString());
      PeerAuthenticationEvent e = (PeerAuthenticationEvent) seen.get(0);
      assertFalse(e.isSuccess());
      assertTrue(e.reasons().get(0).startsWith("cannot identify the peer: cannot find the socket of a "
          + "io.netty.channel.embedded.EmbeddedChannel"), e.reasons().toString());
      assertFalse(ch.isOpen());
      assertNull(PeerAuthenticationHandler.identity(ch));
      assertEquals(0, PeerAuthentication.defaults(v).pending());
    }
  }
}
