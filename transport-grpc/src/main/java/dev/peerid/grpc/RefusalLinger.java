package dev.peerid.grpc;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Lets a denied gRPC client read its refusal. Closed the moment the verdict is known, a socket
 * whose client has not yet written its HTTP/2 preface makes that write fail, and the client then
 * reports a broken connection instead of the GOAWAY and its reasons. Once armed (on a denial),
 * this holds the close back until the client closes its end, at most {@value #LINGER_MILLIS} ms
 * and {@value #MAX_DISCARDED} bytes, reading and discarding what the client sends meanwhile:
 * none of it goes further up the pipeline. Sits below the authentication handler, and leaves the
 * pipeline when the peer is allowed.
 */
final class RefusalLinger extends ChannelDuplexHandler {
  static final long LINGER_MILLIS = 1000;
  static final int MAX_DISCARDED = 64 * 1024;

  private boolean armed;
  private ChannelPromise closing;
  private Future<?> timer;
  private int discarded;

  /** From now on, a close waits for the client (called when the peer is denied). */
  void arm() {
    armed = true;
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (!armed || !ctx.channel().isActive()) {
      closeNow(ctx, promise);
      return;
    }
    if (closing != null) {
      closing.addListener(f -> promise.trySuccess());
      return;
    }
    closing = promise;
    timer = ctx.executor().schedule(() -> closeNow(ctx, closing), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing == null) {
      ctx.fireChannelRead(msg);
      return;
    }
    discarded += msg instanceof ByteBuf b ? b.readableBytes() : 0;
    ReferenceCountUtil.release(msg);
    if (discarded > MAX_DISCARDED) {
      closeNow(ctx, closing);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (closing == null) {
      ctx.fireChannelReadComplete();
    } else if (ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (closing != null && evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
      closeNow(ctx, closing); // the client closed its end: it has read what it will read
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (closing != null) {
      closeNow(ctx, closing); // completes the held promise: the channel is already closed
    }
    super.channelInactive(ctx);
  }

  private void closeNow(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (timer != null) {
      timer.cancel(false);
    }
    ctx.close(promise.isDone() ? ctx.newPromise() : promise);
  }
}
