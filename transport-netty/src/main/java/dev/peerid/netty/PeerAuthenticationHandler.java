package dev.peerid.netty;

import dev.peerid.PeerHandle;
import dev.peerid.PeerIdentificationException;
import dev.peerid.PeerIdentity;
import dev.peerid.PeerSession;
import dev.peerid.PeerVerificationException;
import dev.peerid.PeerVerifier;
import dev.peerid.ProcessInfo;
import dev.peerid.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Authenticates the process on the other end of a Unix-domain socket channel before any of its
 * bytes reach the rest of the pipeline. Make one per channel with {@link PeerAuthentication#newHandler()}
 * and add it first.
 *
 * <p>Works with {@code EpollDomainSocketChannel}, {@code KQueueDomainSocketChannel} (any channel
 * exposing its fd through {@code UnixChannel}) and NIO channels opened by junixsocket's
 * {@code AFUNIXSelectorProvider}; the socket's fd goes to the peerid backend as a
 * {@link PeerHandle#socket(int)}.
 *
 * <p>Until the verdict, {@code read()} requests are held back (as Netty's
 * {@code SslClientHelloHandler} does), and any message that still arrives (epoll reads a
 * half-closed peer's data regardless) is held, bounded, and replayed on allow. Verification runs
 * through {@link dev.peerid.PeerVerifier#openAsync}: a peer the backend knows (on Linux, a process
 * it read in full in the last 100 ms) running a file already verified is decided inline in a few
 * system calls; identifying any other process, and verifying a file, run on the verifier's bounded
 * executor, never on the event loop. At most {@link PeerAuthentication#maxPending()} verifications are in flight
 * across all channels sharing one {@link PeerAuthentication}; past that, a new peer is denied
 * as "busy". A verification that outlasts {@link PeerAuthentication#timeout()} denies the peer.
 * The per-peer limits of {@link PeerAuthentication} (open connections per uid and per process,
 * connections waiting per uid) deny a new connection past them, with a reason naming the limit
 * ({@link PeerAuthenticationEvent#limit()}); an allowed connection's place is given back when it closes.
 *
 * <p>Only reads are gated: a handler that writes on {@code channelActive} writes to a peer that is
 * not verified yet. Write after the allow event instead.
 *
 * <p>Exactly one {@link PeerAuthenticationEvent} is fired per channel. On allow, the peer's
 * identity is available through {@link #identity(Channel)}, reads resume, and the handler removes
 * itself (unless re-validation was asked for). On deny, a log line is written, the optional
 * {@link DenialResponder} writes a refusal, and the channel is closed. Note that the event may be
 * fired after the peer already left: a peer that disconnects before the verdict is denied with the
 * reason that it disconnected.
 *
 * <p><b>Re-validation</b> ({@link PeerAuthentication.Builder#revalidateEveryMessage()},
 * {@link PeerAuthentication.Builder#revalidateWhen}) checks, with a few system calls per message,
 * that the verified process is still alive (pinned by pidfd on Linux, so a reused pid is not
 * mistaken for it) and still runs the same executable file. That catches a verified process that
 * later execs another program (its exe identity changes) and a verified process that exited while
 * another process kept the socket. It does not catch: a verified process handing the socket (by
 * fork or SCM_RIGHTS) to another process while it stays alive itself; and a same-user process
 * attaching with ptrace after the check and driving the verified process. Deny {@code traced}
 * peers and run clients under a distinct uid (or with ptrace restricted, Yama
 * {@code ptrace_scope} ≥ 1) to narrow those.
 *
 * <p>The {@link PeerSession} (the pinned process) is closed when the channel closes.
 */
public final class PeerAuthenticationHandler extends ChannelDuplexHandler {
  private static final System.Logger LOG = System.getLogger("dev.peerid.netty");
  private static final AttributeKey<Authenticated> AUTHENTICATED =
      AttributeKey.newInstance("dev.peerid.netty.PeerAuthenticationHandler.authenticated");

  private final PeerAuthentication auth;
  /** Messages that arrived before the verdict; made only when one does (rare: reads are held back). */
  private ArrayDeque<Object> held;
  private final AtomicBoolean slotHeld = new AtomicBoolean();
  /** This channel's place among its uid's connections waiting for a verdict, while it waits. */
  private volatile PeerLimits.Held waiting = PeerLimits.Held.NOTHING;
  private int heldBytes;
  private boolean started;
  private boolean decided;
  private boolean allowed;
  private boolean readPending;
  private Future<?> timeout;
  private PeerSession session;

  /**
   * A handler with the default options ({@link PeerAuthentication}); every handler made from the
   * same verifier this way shares one limit of pending verifications.
   */
  public PeerAuthenticationHandler(PeerVerifier verifier) {
    this(PeerAuthentication.defaults(verifier));
  }

  /** A handler with these options; {@link PeerAuthentication#newHandler()} does the same. */
  public PeerAuthenticationHandler(PeerAuthentication auth) {
    this.auth = Objects.requireNonNull(auth, "auth");
  }

  /** The verified identity of the channel's peer; null until (and unless) it was allowed. */
  public static PeerIdentity identity(Channel channel) {
    Authenticated a = channel.attr(AUTHENTICATED).get();
    return a == null ? null : a.identity;
  }

  /**
   * Re-validates the channel's peer now (same live process, same executable file); throws when
   * it was never allowed or has changed. For servers that re-check at points of their own choosing.
   */
  public static void revalidate(Channel channel) throws PeerVerificationException {
    Authenticated a = channel.attr(AUTHENTICATED).get();
    if (a == null) {
      throw new PeerIdentificationException("the channel's peer was never authenticated");
    }
    a.session.revalidate();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      // added to a live channel: start once the code adding us (e.g. a ChannelInitializer) has
      // finished building the pipeline, so that the handlers after us see the event
      ctx.executor().execute(() -> start(ctx));
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    ctx.fireChannelActive();
    start(ctx);
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (allowed) {
      ctx.read();
    } else {
      readPending = true;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!allowed) {
      holdEarly(ctx, msg);
      return;
    }
    if (auth.revalidateWhen() != null && auth.revalidateWhen().test(msg)) {
      try {
        session.revalidate();
      } catch (PeerVerificationException | RuntimeException e) {
        ReferenceCountUtil.release(msg);
        LOG.log(Level.WARNING, "peerid: closing " + ctx.channel() + ": the peer failed re-validation: "
            + e.getMessage());
        ctx.close();
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (allowed) {
      ctx.fireChannelReadComplete();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (!decided) {
      deny(ctx, PeerAuthenticationEvent.denied("the peer disconnected before the verdict", null));
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
    if (!decided) {
      // removed by someone else before the verdict: nothing gates this channel any more, so fail closed
      decided = true;
      cancelTimeout();
      ctx.channel().close();
    }
  }

  private void start(ChannelHandlerContext ctx) {
    if (started || decided || ctx.isRemoved()) {
      return;
    }
    started = true;
    if (!auth.tryAcquire()) {
      auth.limits().refused(ConnectionLimit.PENDING);
      deny(ctx, PeerAuthenticationEvent.refused(ConnectionLimit.PENDING, "busy: " + auth.maxPending()
          + " peer verifications already pending, try again later", null));
      return;
    }
    slotHeld.set(true);
    CompletableFuture<PeerSession> verification;
    try {
      verification = auth.verifier().openAsync(ChannelPeerHandles.of(ctx.channel()));
    } catch (PeerIdentificationException e) {
      releaseSlot();
      deny(ctx, PeerAuthenticationEvent.denied("cannot identify the peer: " + e.getMessage(), e));
      return;
    } catch (RuntimeException e) {
      releaseSlot();
      deny(ctx, PeerAuthenticationEvent.denied("internal error while verifying the peer: " + e, e));
      return;
    }
    if (verification.isDone()) {
      complete(ctx, verification);
      return;
    }
    // it waits (off the event loop): now it takes a place among its uid's waiting connections
    PeerLimits.Admission wait = auth.limits().pending(ChannelPeerHandles.uid(ctx.channel()));
    if (wait instanceof PeerLimits.Refusal r) {
      releaseSlot();
      deny(ctx, PeerAuthenticationEvent.refused(r.limit(), r.reason(), null));
      verification.whenComplete((s, e) -> closeQuietly(s));
      return;
    }
    waiting = (PeerLimits.Held) wait;
    long nanos = auth.timeout().toNanos();
    timeout = ctx.executor().schedule(() -> {
      if (!decided) {
        releaseSlot();
        deny(ctx, PeerAuthenticationEvent.denied("verification took longer than "
            + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms", null));
      }
    }, nanos, TimeUnit.NANOSECONDS);
    verification.whenComplete((s, e) -> {
      try {
        ctx.executor().execute(() -> complete(ctx, verification));
      } catch (RejectedExecutionException shuttingDown) {
        releaseSlot();
        closeQuietly(s);
      }
    });
  }

  private void complete(ChannelHandlerContext ctx, CompletableFuture<PeerSession> verification) {
    releaseSlot();
    cancelTimeout();
    PeerSession s;
    try {
      s = verification.join();
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (!decided) {
        deny(ctx, PeerAuthenticationEvent.denied("internal error while verifying the peer: " + cause, cause));
      }
      return;
    }
    if (decided) {
      // timed out or the peer left meanwhile: the verdict came too late to matter
      closeQuietly(s);
      return;
    }
    Verdict verdict = s.verdict();
    if (verdict.isAllowed() && !ctx.channel().isActive()) {
      // closed while we waited, before channelInactive reached us
      closeQuietly(s);
      deny(ctx, PeerAuthenticationEvent.denied("the peer disconnected before the verdict", null));
      return;
    }
    if (!verdict.isAllowed()) {
      closeQuietly(s);
      deny(ctx, PeerAuthenticationEvent.of(verdict));
      return;
    }
    allow(ctx, s, verdict);
  }

  private void allow(ChannelHandlerContext ctx, PeerSession s, Verdict verdict) {
    Channel ch = ctx.channel();
    PeerIdentity identity = verdict.identity().orElseThrow();
    PeerLimits.Admission admission = auth.limits().connection(
        identity.process().map(ProcessInfo::uid).orElse(PeerLimits.UNKNOWN),
        identity.process().map(ProcessInfo::pid).orElse(PeerLimits.UNKNOWN));
    if (admission instanceof PeerLimits.Refusal r) {
      closeQuietly(s);
      deny(ctx, PeerAuthenticationEvent.refused(r.limit(), r.reason(), identity));
      return;
    }
    PeerLimits.Held place = (PeerLimits.Held) admission;
    if (!ch.attr(AUTHENTICATED).compareAndSet(null, new Authenticated(identity, s))) {
      // the identity is set once; a second handler must not replace it with its own
      place.release();
      closeQuietly(s);
      deny(ctx, PeerAuthenticationEvent.denied("the channel was already authenticated: "
          + "is a second PeerAuthenticationHandler in the pipeline?", null));
      return;
    }
    decided = true;
    allowed = true;
    session = s;
    ch.closeFuture().addListener(f -> {
      closeQuietly(s);
      place.release();
    });
    auth.idleTimeout().ifPresent(t -> ctx.pipeline().addAfter(ctx.name(), null, new IdleCloser(t)));
    ctx.fireUserEventTriggered(PeerAuthenticationEvent.of(verdict));
    boolean replayed = held != null && !held.isEmpty();
    while (held != null && !held.isEmpty()) {
      ctx.fireChannelRead(held.poll());
    }
    heldBytes = 0;
    if (replayed) {
      ctx.fireChannelReadComplete();
    }
    if (readPending) {
      readPending = false;
      ctx.read();
    }
    if (auth.revalidateWhen() == null && ctx.pipeline().context(this) != null) {
      ctx.pipeline().remove(this);
    }
  }

  private void deny(ChannelHandlerContext ctx, PeerAuthenticationEvent event) {
    decided = true;
    cancelTimeout();
    releaseHeld();
    Channel ch = ctx.channel();
    LOG.log(Level.INFO, () -> "peerid: denied " + ch + describe(event) + ": " + String.join("; ", event.reasons()));
    try {
      ctx.fireUserEventTriggered(event);
    } finally {
      if (ch.isActive()) {
        ByteBuf refusal = refusal(ctx, event);
        if (refusal != null) {
          ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.close();
        }
      } else {
        ctx.close();
      }
    }
  }

  private ByteBuf refusal(ChannelHandlerContext ctx, PeerAuthenticationEvent event) {
    try {
      return auth.responder().refusal(ctx.alloc(), event);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "peerid: the denial responder failed: " + e);
      return null;
    }
  }

  private static String describe(PeerAuthenticationEvent event) {
    return event.identity().map(id -> " (pid " + id.process().map(p -> String.valueOf(p.pid())).orElse("?")
        + ", " + id.executable().path() + ")").orElse("");
  }

  private void holdEarly(ChannelHandlerContext ctx, Object msg) {
    if (decided) {
      ReferenceCountUtil.release(msg);
      return;
    }
    int size = msg instanceof ByteBuf b ? b.readableBytes()
        : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
    if ((long) heldBytes + size > auth.maxEarlyBytes()) {
      ReferenceCountUtil.release(msg);
      deny(ctx, PeerAuthenticationEvent.denied("the peer sent more than " + auth.maxEarlyBytes()
          + " bytes before the verdict", null));
      return;
    }
    heldBytes += size;
    if (held == null) {
      held = new ArrayDeque<>(4);
    }
    held.add(msg);
  }

  private void releaseHeld() {
    while (held != null && !held.isEmpty()) {
      ReferenceCountUtil.release(held.poll());
    }
    heldBytes = 0;
  }

  private void releaseSlot() {
    if (slotHeld.compareAndSet(true, false)) {
      auth.release();
    }
    waiting.release();
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  private static void closeQuietly(PeerSession s) {
    if (s != null) {
      try {
        s.close();
      } catch (RuntimeException ignored) {
        // closing a pidfd cannot usefully fail; nothing to do if it does
      }
    }
  }

  /** The one attribute value: the identity, and the session kept for re-validation. */
  private static final class Authenticated {
    final PeerIdentity identity;
    final PeerSession session;

    Authenticated(PeerIdentity identity, PeerSession session) {
      this.identity = identity;
      this.session = session;
    }
  }
}
