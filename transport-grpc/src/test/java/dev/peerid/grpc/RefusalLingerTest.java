package dev.peerid.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bounds of the wait a denied client gets to read its refusal. */
class RefusalLingerTest {
  private final AtomicInteger passedOn = new AtomicInteger();

  private EmbeddedChannel channel(RefusalLinger linger) {
    EmbeddedChannel ch = new EmbeddedChannel(linger, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        passedOn.incrementAndGet();
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    });
    ch.freezeTime();
    return ch;
  }

  @Test
  void unarmedItClosesAtOnceAndPassesReadsOn() {
    EmbeddedChannel ch = channel(new RefusalLinger());
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[10]));
    assertEquals(1, passedOn.get());
    ch.close();
    assertFalse(ch.isOpen());
  }

  @Test
  void armedItWaitsAtMostTheLingerTimeAndDiscardsWhatArrives() {
    RefusalLinger linger = new RefusalLinger();
    EmbeddedChannel ch = channel(linger);
    linger.arm();
    // through the pipeline: EmbeddedChannel.close() would also cancel every scheduled task
    ChannelFuture closed = ch.pipeline().close();
    assertTrue(ch.isOpen(), "the close waits for the client");
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[100]));
    assertEquals(0, passedOn.get(), "a denied client's bytes went up the pipeline");
    ch.advanceTimeBy(RefusalLinger.LINGER_MILLIS - 1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertTrue(ch.isOpen());
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertFalse(ch.isOpen(), "closed when the linger time is up");
    assertTrue(closed.isSuccess(), "the held close completes");
  }

  @Test
  void armedItClosesOnceTheClientSentTooMuch() {
    RefusalLinger linger = new RefusalLinger();
    EmbeddedChannel ch = channel(linger);
    linger.arm();
    ch.pipeline().close();
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[RefusalLinger.MAX_DISCARDED]));
    assertTrue(ch.isOpen());
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[1]));
    assertFalse(ch.isOpen());
    assertEquals(0, passedOn.get());
  }
}
