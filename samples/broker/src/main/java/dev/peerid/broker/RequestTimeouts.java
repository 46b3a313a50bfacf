package dev.peerid.broker;

import dev.peerid.netty.PeerAuthenticationEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The broker's timeouts for one connection, placed before the HTTP codec so that it sees the raw
 * bytes: once the peer is allowed, a connection waiting for its next request is closed after the
 * idle timeout; a request must be complete (headers and body) within the header timeout of its first
 * byte; while a reply is written, the connection is closed when no write made progress for the idle
 * timeout (a peer that does not read). {@link BrokerHandler} says when a request was received and
 * when its reply was written. Runs on the channel's event loop only.
 */
final class RequestTimeouts extends ChannelDuplexHandler {
  private static final System.Logger LOG = System.getLogger("dev.peerid.broker");

  private enum Phase { UNVERIFIED, IDLE, READING, SERVING }

  private final long idleNanos;
  private final long headerNanos;
  private ChannelHandlerContext ctx;
  private Phase phase = Phase.UNVERIFIED;
  private long lastProgress;
  private boolean bytesWaiting;
  private ScheduledFuture<?> timer;

  RequestTimeouts(Duration idle, Duration header) {
    this.idleNanos = idle.toNanos();
    this.headerNanos = header.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof PeerAuthenticationEvent e && e.isSuccess() && phase == Phase.UNVERIFIED) {
      enter(Phase.IDLE);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b && b.isReadable()) {
      if (phase == Phase.IDLE) {
        enter(Phase.READING);
      } else if (phase == Phase.SERVING) {
        bytesWaiting = true; // a pipelined request: its clock starts when the reply before it is written
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!promise.isVoid()) {
      promise.addListener(f -> {
        if (f.isSuccess()) {
          lastProgress = System.nanoTime();
        }
      });
    }
    ctx.write(msg, promise);
  }

  /** A complete request reached the broker: from now on only the progress of its reply counts. */
  void requestReceived() {
    bytesWaiting = false;
    enter(Phase.SERVING);
  }

  /** Its reply is written: wait for the next request. */
  void replyWritten() {
    enter(bytesWaiting ? Phase.READING : Phase.IDLE);
    bytesWaiting = false;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void enter(Phase next) {
    phase = next;
    lastProgress = System.nanoTime();
    cancel();
    schedule(next == Phase.READING ? headerNanos : idleNanos);
  }

  private void schedule(long nanos) {
    timer = ctx.executor().schedule(this::check, nanos, TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    long now = System.nanoTime();
    String why;
    switch (phase) {
      case IDLE -> why = "idle for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms";
      case READING -> why = "its request was not complete " + TimeUnit.NANOSECONDS.toMillis(headerNanos)
          + " ms after its first byte";
      case SERVING -> {
        long left = idleNanos - (now - lastProgress);
        if (left > 0) {
          schedule(left);
          return;
        }
        why = "its reply made no progress for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms";
      }
      default -> {
        return;
      }
    }
    LOG.log(Level.INFO, () -> "broker: closing " + ctx.channel() + ": " + why);
    ctx.close();
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
