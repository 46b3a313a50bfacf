package dev.peerid.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a verified channel on which nothing was read and no write made progress for the idle
 * timeout ({@link PeerAuthentication.Builder#idleTimeout}); a slow reader whose pending write still
 * drains is not idle. Put in place by the authentication handler when it allows the peer.
 */
final class IdleCloser extends IdleStateHandler {
  private static final System.Logger LOG = System.getLogger("dev.peerid.netty");
  private final Duration timeout;

  IdleCloser(Duration timeout) {
    super(true, 0, 0, timeout.toNanos(), TimeUnit.NANOSECONDS);
    this.timeout = timeout;
  }

  @Override
  protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
    LOG.log(Level.INFO, () -> "peerid: closing " + ctx.channel() + ": idle for " + timeout.toMillis() + " ms");
    ctx.fireUserEventTriggered(evt);
    ctx.close();
  }
}
