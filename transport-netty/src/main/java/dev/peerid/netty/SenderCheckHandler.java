package dev.peerid.netty;

import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerificationException;
import dev.peerid.ReadSender;
import dev.peerid.SenderCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.concurrent.Future;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Lets no byte written by a process other than the verified peer reach the pipeline of an allowed
 * channel. {@link PeerAuthenticationHandler} puts it in its own place on allow (unless
 * {@link PeerAuthentication.Builder#trustEveryWriterOfAnAllowedConnection()}).
 *
 * <p>The check runs where the channel reads: the channel's {@link RecvByteBufAllocator} is wrapped
 * so that, right before each read system call (Netty asks for a buffer first), the writer of the
 * data at the head of the socket's queue is looked at ({@link SenderCheck#next()}: on Linux a
 * {@code MSG_PEEK recvmsg} of one byte and a {@code statx} through the verified process's pinned
 * {@code /proc/<pid>}). The kernel ends a read where the writer changes, so the read that follows
 * returns only that writer's data. Same on epoll and on NIO over junixsocket.
 *
 * <ul>
 *   <li>the verified process, still running the file that was verified: the read goes ahead;
 *   <li>nothing queued: no read is made (a read now could take data that arrived after the look);
 *       the next readiness event starts over;
 *   <li>another process: reads stop, its data stays in the socket, and it is verified on its own
 *       ({@link dev.peerid.PeerVerifier#openAsync}: the verifier's cache; a full read off the event
 *       loop). Allowed (a child running the same signed file): its data is read from then on, with
 *       the same per-read check. Denied, unidentifiable, or not decided within the timeout: the
 *       channel is closed and its data is dropped unread;
 *   <li>the verified process running another file (an exec after the verdict), or a writer the
 *       server cannot see (pid 0): the channel is closed.
 * </ul>
 *
 * <p>A read that did not pass the check (a channel whose read buffers were made before the check
 * was in place) closes the channel. Reads are stopped by throwing, from the allocator, an
 * exception this handler swallows: Netty then ends the read loop without reading and without
 * closing. Assumes auto-read (the default); a channel that reads by hand should call
 * {@code read()} again after a {@link io.netty.channel.ChannelInboundHandler#channelReadComplete}.
 */
final class SenderCheckHandler extends ChannelDuplexHandler {
  private static final System.Logger LOG = System.getLogger("dev.peerid.netty");

  /** Ends Netty's read loop without a read; never leaves this handler. */
  static final class NotNow extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final NotNow INSTANCE = new NotNow();

    private NotNow() {
      super("no read now (peerid sender check)", null, false, false);
    }
  }

  private final PeerAuthentication auth;
  private final SenderCheck check;
  private Channel channel;
  /** Set by the allocator when the check passed, taken by the read it let through. */
  private boolean ticket;
  private boolean verifyingOther;
  private boolean readRequested;
  private boolean closed;
  private Future<?> timeout;

  SenderCheckHandler(PeerAuthentication auth, SenderCheck check) {
    this.auth = auth;
    this.check = check;
  }

  /** Wraps the channel's allocator; call before the channel's first read. */
  void install(Channel ch) {
    this.channel = ch;
    ChannelConfig config = ch.config();
    config.setRecvByteBufAllocator(new Allocator(config.getRecvByteBufAllocator(), this));
    ch.closeFuture().addListener(f -> {
      closed = true;
      check.close();
    });
  }

  /** Releases the check of a handler that was never installed. */
  void discard() {
    closed = true;
    check.close();
  }

  /** Right before a read system call; throws {@link NotNow} to have none made. */
  void beforeRead() {
    ticket = false;
    if (closed || verifyingOther) {
      throw NotNow.INSTANCE;
    }
    ReadSender sender;
    try {
      sender = check.next();
    } catch (PeerIdentificationException | RuntimeException e) {
      refuse(e.getMessage());
      throw NotNow.INSTANCE;
    }
    switch (sender.kind()) {
      case VERIFIED:
      case END_OF_STREAM:
        ticket = true;
        return;
      case OTHER:
        verifyOther(sender);
        throw NotNow.INSTANCE;
      case NOTHING_QUEUED:
      default:
        throw NotNow.INSTANCE;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!ticket || closed) {
      ReferenceCountUtil.release(msg);
      refuse("a read reached the pipeline without its writer checked (were the channel's read buffers made"
          + " before the check was in place?)");
      return;
    }
    ticket = false;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof NotNow) {
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (verifyingOther) {
      readRequested = true; // resumed once the other writer is decided
      return;
    }
    ctx.read();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (!closed && channel.isActive()) {
      // nothing checks the writers any more: fail closed
      refuse("the sender check was removed from the pipeline");
    }
  }

  private void verifyOther(ReadSender sender) {
    verifyingOther = true;
    channel.config().setAutoRead(false);
    CompletableFuture<PeerSession> verification;
    try {
      verification = auth.verifier().openAsync(sender.handle().orElseThrow());
    } catch (RuntimeException e) {
      refuse("cannot verify process " + sender.pid() + ", which wrote to the connection: " + e);
      return;
    }
    if (verification.isDone()) {
      decideOther(sender, verification);
      return;
    }
    timeout = channel.eventLoop().schedule(() -> refuse("the verification of process " + sender.pid()
        + ", which wrote to the connection, took longer than " + auth.timeout().toMillis() + " ms"),
        auth.timeout().toNanos(), TimeUnit.NANOSECONDS);
    verification.whenComplete((s, e) -> {
      try {
        channel.eventLoop().execute(() -> decideOther(sender, verification));
      } catch (RejectedExecutionException shuttingDown) {
        if (s != null) {
          s.close();
        }
      }
    });
  }

  private void decideOther(ReadSender sender, CompletableFuture<PeerSession> verification) {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
    PeerSession s;
    try {
      s = verification.join();
    } catch (RuntimeException e) {
      refuse("cannot verify process " + sender.pid() + ", which wrote to the connection: " + e);
      return;
    }
    try (s) {
      if (closed) {
        return;
      }
      if (!s.verdict().isAllowed()) {
        refuse("process " + sender.pid() + " wrote to the connection and is not allowed: "
            + String.join("; ", s.verdict().reasons()));
        return;
      }
      check.admit(s);
    } catch (PeerVerificationException | RuntimeException e) {
      refuse("process " + sender.pid() + " wrote to the connection and cannot be admitted: " + e.getMessage());
      return;
    }
    LOG.log(Level.DEBUG, () -> "peerid: " + channel + ": also reading from process " + sender.pid()
        + " (verified on its own and allowed)");
    verifyingOther = false;
    // turning auto-read back on re-arms the read interest, which reports the data still queued
    channel.config().setAutoRead(true);
    if (readRequested) {
      readRequested = false;
      channel.read();
    }
  }

  private void refuse(String why) {
    if (closed) {
      return;
    }
    closed = true;
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
    LOG.log(Level.WARNING, "peerid: closing " + channel + ", its data dropped unread: " + why);
    channel.close();
  }

  /** The channel's allocator, with the check before every buffer it hands out for a read. */
  private static final class Allocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator delegate;
    private final SenderCheckHandler gate;

    Allocator(RecvByteBufAllocator delegate, SenderCheckHandler gate) {
      this.delegate = delegate;
      this.gate = gate;
    }

    @Override
    public Handle newHandle() {
      return new CheckedHandle((ExtendedHandle) delegate.newHandle(), gate);
    }
  }

  private static final class CheckedHandle implements RecvByteBufAllocator.ExtendedHandle {
    private final RecvByteBufAllocator.ExtendedHandle delegate;
    private final SenderCheckHandler gate;

    CheckedHandle(RecvByteBufAllocator.ExtendedHandle delegate, SenderCheckHandler gate) {
      this.delegate = delegate;
      this.gate = gate;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
      gate.beforeRead();
      return delegate.allocate(alloc);
    }

    @Override
    public int guess() {
      return delegate.guess();
    }

    @Override
    public void reset(ChannelConfig config) {
      delegate.reset(config);
    }

    @Override
    public void incMessagesRead(int numMessages) {
      delegate.incMessagesRead(numMessages);
    }

    @Override
    public void lastBytesRead(int bytes) {
      delegate.lastBytesRead(bytes);
    }

    @Override
    public int lastBytesRead() {
      return delegate.lastBytesRead();
    }

    @Override
    public void attemptedBytesRead(int bytes) {
      delegate.attemptedBytesRead(bytes);
    }

    @Override
    public int attemptedBytesRead() {
      return delegate.attemptedBytesRead();
    }

    @Override
    public boolean continueReading() {
      return delegate.continueReading();
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
      return delegate.continueReading(maybeMoreDataSupplier);
    }

    @Override
    public void readComplete() {
      delegate.readComplete();
    }
  }
}
