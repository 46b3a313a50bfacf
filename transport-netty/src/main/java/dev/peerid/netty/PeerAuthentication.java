package dev.peerid.netty;

import dev.peerid.PeerVerifier;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * What every {@link PeerAuthenticationHandler} of a server shares: the verifier, the limits and
 * the count of verifications in flight. Built once, thread-safe; make one handler per channel:
 *
 * <pre>{@code
 * PeerAuthentication auth = PeerAuthentication.builder(verifier).build();
 * ...
 * protected void initChannel(Channel ch) {
 *   ch.pipeline().addFirst(auth.newHandler());      // the one line
 *   // or, with the defaults: ch.pipeline().addFirst(new PeerAuthenticationHandler(verifier));
 *   ch.pipeline().addLast(new MyProtocolHandler());
 * }
 * }</pre>
 *
 * <p>Defaults: at most 256 verifications pending (past that a new peer is denied as "busy"), of
 * which at most 32 from one uid; at most 256 open verified connections per uid and 64 per
 * process (counted from the verified identity, given back when the channel closes); 5 seconds per
 * verification; no idle timeout; no re-validation (the handler leaves the pipeline once the peer
 * is allowed); nothing written to a denied peer before its channel is closed. A peer past a limit
 * is denied with a reason naming it ("too many connections from uid 1000 (limit 256)"); the
 * refusals are counted by limit ({@link #refused}).
 */
public final class PeerAuthentication {
  // the value refers to its key, so an entry lives as long as the class: one small object per
  // verifier, and verifiers are built once per server
  private static final Map<PeerVerifier, PeerAuthentication> DEFAULTS = new WeakHashMap<>();

  private final PeerVerifier verifier;
  private final int maxPending;
  private final Duration timeout;
  private final Predicate<Object> revalidateWhen;
  private final DenialResponder responder;
  private final int maxEarlyBytes;
  private final AtomicInteger pending = new AtomicInteger();
  private final PeerLimits limits;
  private final Duration idleTimeout;

  private PeerAuthentication(Builder b) {
    this.limits = new PeerLimits(b.perPeerLimits, b.maxConnectionsPerProcess, b.maxConnectionsPerUid,
        b.maxPendingPerUid);
    this.idleTimeout = b.idleTimeout;
    this.verifier = b.verifier;
    this.maxPending = b.maxPending;
    this.timeout = b.timeout;
    this.revalidateWhen = b.revalidateWhen;
    this.responder = b.responder;
    this.maxEarlyBytes = b.maxEarlyBytes;
  }

  /** The default options for this verifier: one shared instance per verifier. */
  static PeerAuthentication defaults(PeerVerifier verifier) {
    Objects.requireNonNull(verifier, "verifier");
    synchronized (DEFAULTS) {
      return DEFAULTS.computeIfAbsent(verifier, v -> builder(v).build());
    }
  }

  public static Builder builder(PeerVerifier verifier) {
    return new Builder(verifier);
  }

  /** A new handler for one channel; add it first in the channel's pipeline. */
  public PeerAuthenticationHandler newHandler() {
    return new PeerAuthenticationHandler(this);
  }

  public PeerVerifier verifier() {
    return verifier;
  }

  public int maxPending() {
    return maxPending;
  }

  public Duration timeout() {
    return timeout;
  }

  /** True when allowed channels keep their handler to re-validate the peer. */
  public boolean revalidates() {
    return revalidateWhen != null;
  }

  /** Verifications in flight right now (for metrics and tests). */
  public int pending() {
    return pending.get();
  }

  /** New connections refused so far by {@code limit}. */
  public long refused(ConnectionLimit limit) {
    return limits.refusals(Objects.requireNonNull(limit, "limit"));
  }

  /** Open verified connections counted against the per-uid and per-process limits, all peers. */
  public int connections() {
    return limits.connections();
  }

  /** Open verified connections of {@code uid}. */
  public int connectionsOfUid(long uid) {
    return limits.connectionsOfUid(uid);
  }

  /** Open verified connections of the process {@code pid}. */
  public int connectionsOfProcess(long pid) {
    return limits.connectionsOfProcess(pid);
  }

  /**
   * Connections of {@code uid} waiting for a verification that runs off the event loop (a peer
   * decided inline, in a few system calls, is never counted as waiting).
   */
  public int pendingOfUid(long uid) {
    return limits.pendingOfUid(uid);
  }

  /** False after {@link Builder#withoutPerPeerLimits()}: nothing is counted per uid or process. */
  public boolean limitsPerPeer() {
    return limits.counting();
  }

  public int maxConnectionsPerUid() {
    return limits.perUid();
  }

  public int maxConnectionsPerProcess() {
    return limits.perProcess();
  }

  public int maxPendingPerUid() {
    return limits.pendingPerUid();
  }

  /** How long a verified connection may be idle before it is closed; empty: no limit (the default). */
  public Optional<Duration> idleTimeout() {
    return Optional.ofNullable(idleTimeout);
  }

  PeerLimits limits() {
    return limits;
  }

  boolean tryAcquire() {
    for (;;) {
      int n = pending.get();
      if (n >= maxPending) {
        return false;
      }
      if (pending.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void release() {
    pending.decrementAndGet();
  }

  Predicate<Object> revalidateWhen() {
    return revalidateWhen;
  }

  DenialResponder responder() {
    return responder;
  }

  int maxEarlyBytes() {
    return maxEarlyBytes;
  }

  /** Options with secure defaults; every loosening is a named call. */
  public static final class Builder {
    private final PeerVerifier verifier;
    private int maxPending = 256;
    private Duration timeout = Duration.ofSeconds(5);
    private Predicate<Object> revalidateWhen;
    private DenialResponder responder = DenialResponder.none();
    private int maxEarlyBytes = 64 * 1024;
    private boolean perPeerLimits = true;
    private int maxConnectionsPerProcess = 64;
    private int maxConnectionsPerUid = 256;
    private int maxPendingPerUid = 32;
    private Duration idleTimeout;

    private Builder(PeerVerifier verifier) {
      this.verifier = Objects.requireNonNull(verifier, "verifier");
    }

    /** Past this many verifications in flight, a new peer is denied with the reason "busy". */
    public Builder maxPending(int maxPending) {
      if (maxPending < 1) {
        throw new IllegalArgumentException("maxPending must be >= 1, got " + maxPending);
      }
      this.maxPending = maxPending;
      return this;
    }

    /** A verification that takes longer than this denies the peer. */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Keeps the handler in the pipeline of an allowed channel and re-validates the peer (same live
     * process, same executable file) before every inbound message reaching it; a failure closes
     * the channel. See {@link PeerAuthenticationHandler} for what this does and does not catch.
     */
    public Builder revalidateEveryMessage() {
      return revalidateWhen(msg -> true);
    }

    /**
     * Like {@link #revalidateEveryMessage()}, for the messages {@code when} accepts only; e.g.
     * {@code msg -> msg instanceof HttpRequest} with the handler placed after the HTTP codec
     * re-validates once per request.
     */
    public Builder revalidateWhen(Predicate<Object> when) {
      this.revalidateWhen = Objects.requireNonNull(when, "when");
      return this;
    }

    /** Writes a short refusal to a denied peer before closing its channel. */
    public Builder responder(DenialResponder responder) {
      this.responder = Objects.requireNonNull(responder, "responder");
      return this;
    }

    /**
     * Bytes a peer may get into the pipeline before the verdict (the epoll transport reads a
     * half-closed peer's data even while reads are held); they are held back and replayed on
     * allow. More than this denies the peer. Default 64 KiB.
     */
    public Builder maxEarlyBytes(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("maxEarlyBytes must be >= 0, got " + bytes);
      }
      this.maxEarlyBytes = bytes;
      return this;
    }

    /**
     * Past this many open verified connections of one process (its pid, from the verified
     * identity), a new one is denied: "too many connections from process 4242 (limit 64)". Default 64.
     */
    public Builder maxConnectionsPerProcess(int max) {
      this.maxConnectionsPerProcess = atLeastOne("maxConnectionsPerProcess", max);
      return this;
    }

    /**
     * Past this many open verified connections of one uid (from the verified identity), a new one
     * is denied: "too many connections from uid 1000 (limit 256)". Default 256.
     */
    public Builder maxConnectionsPerUid(int max) {
      this.maxConnectionsPerUid = atLeastOne("maxConnectionsPerUid", max);
      return this;
    }

    /**
     * Past this many connections of one uid waiting for a verdict (the uid the kernel recorded at
     * connect, known before the verdict), a new one is denied, so that one uid cannot hold every
     * one of the {@link #maxPending} places. Default 32.
     */
    public Builder maxPendingPerUid(int max) {
      this.maxPendingPerUid = atLeastOne("maxPendingPerUid", max);
      return this;
    }

    /**
     * Closes a verified connection on which nothing was read and no write made progress for this
     * long. Default: none.
     */
    public Builder idleTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("idleTimeout must be positive, got " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * Loosening: counts nothing per uid or per process, so one peer may hold every connection the
     * server can take. Only the global {@link #maxPending} still applies. For servers that bound
     * their peers some other way (and to measure what the accounting costs).
     */
    public Builder withoutPerPeerLimits() {
      this.perPeerLimits = false;
      return this;
    }

    private static int atLeastOne(String name, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be >= 1, got " + value);
      }
      return value;
    }

    public PeerAuthentication build() {
      return new PeerAuthentication(this);
    }
  }
}
