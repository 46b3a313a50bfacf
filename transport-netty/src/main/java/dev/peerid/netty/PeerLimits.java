package dev.peerid.netty;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-peer accounting for one {@link PeerAuthentication}: connections waiting for a verdict per
 * uid, open verified connections per uid and per process, and the refusals by each limit. Every
 * count is taken and given back with one atomic {@code compute} on its key, so a limit is never
 * exceeded under concurrency, and a key whose count falls to zero is removed (nothing accumulates
 * for peers that left). What is taken is given back once, through the {@link Held} it returned.
 */
final class PeerLimits {
  /** Where the uid or pid of a peer is not known: all such peers share this key. */
  static final long UNKNOWN = -1;

  private final boolean counting;
  private final int perProcess;
  private final int perUid;
  private final int pendingPerUid;
  private final ConcurrentHashMap<Long, Integer> processes = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Integer> uids = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Integer> pendingUids = new ConcurrentHashMap<>();
  private final LongAdder[] refusals = new LongAdder[ConnectionLimit.values().length];

  PeerLimits(boolean counting, int perProcess, int perUid, int pendingPerUid) {
    this.counting = counting;
    this.perProcess = perProcess;
    this.perUid = perUid;
    this.pendingPerUid = pendingPerUid;
    for (int i = 0; i < refusals.length; i++) {
      refusals[i] = new LongAdder();
    }
  }

  /** A connection admitted, or refused. */
  sealed interface Admission permits Held, Refusal {}

  /** What an admitted connection holds; {@link #release()} gives it back, once, however often it is called. */
  static final class Held implements Admission {
    static final Held NOTHING = new Held(null, UNKNOWN, null, UNKNOWN);

    private final ConcurrentHashMap<Long, Integer> first;
    private final long firstKey;
    private final ConcurrentHashMap<Long, Integer> second;
    private final long secondKey;
    private final AtomicBoolean released = new AtomicBoolean();

    private Held(ConcurrentHashMap<Long, Integer> first, long firstKey, ConcurrentHashMap<Long, Integer> second,
        long secondKey) {
      this.first = first;
      this.firstKey = firstKey;
      this.second = second;
      this.secondKey = secondKey;
    }

    void release() {
      if (first != null && released.compareAndSet(false, true)) {
        decrement(first, firstKey);
        if (second != null) {
          decrement(second, secondKey);
        }
      }
    }
  }

  /** A refused connection: which limit, and the reason a person can act on. */
  record Refusal(ConnectionLimit limit, String reason) implements Admission {}

  /**
   * A place among the connections of {@code uid} waiting for a verdict. Where the transport does not
   * tell the uid before the verdict (JDK's own Unix-domain channels), nothing is counted: one shared
   * count would let any peer's waiting connections refuse every other's; the global limit of
   * pending verifications still applies.
   */
  Admission pending(long uid) {
    if (!counting || uid == UNKNOWN) {
      return Held.NOTHING;
    }
    if (!increment(pendingUids, uid, pendingPerUid)) {
      return refuse(ConnectionLimit.PENDING_PER_UID, "too many connections from " + uid(uid)
          + " waiting for a verdict (limit " + pendingPerUid + ")");
    }
    return new Held(pendingUids, uid, null, UNKNOWN);
  }

  /** A place among the open verified connections of {@code uid} and of process {@code pid}. */
  Admission connection(long uid, long pid) {
    if (!counting) {
      return Held.NOTHING;
    }
    if (!increment(uids, uid, perUid)) {
      return refuse(ConnectionLimit.CONNECTIONS_PER_UID, "too many connections from " + uid(uid)
          + " (limit " + perUid + ")");
    }
    if (!increment(processes, pid, perProcess)) {
      decrement(uids, uid);
      return refuse(ConnectionLimit.CONNECTIONS_PER_PROCESS, "too many connections from process "
          + (pid == UNKNOWN ? "(unknown pid)" : pid) + " (limit " + perProcess + ")");
    }
    return new Held(uids, uid, processes, pid);
  }

  /** Counts a refusal by a limit this class does not hold (the global count of pending verifications). */
  void refused(ConnectionLimit limit) {
    refusals[limit.ordinal()].increment();
  }

  long refusals(ConnectionLimit limit) {
    return refusals[limit.ordinal()].sum();
  }

  boolean counting() {
    return counting;
  }

  int perProcess() {
    return perProcess;
  }

  int perUid() {
    return perUid;
  }

  int pendingPerUid() {
    return pendingPerUid;
  }

  int connectionsOfUid(long uid) {
    return uids.getOrDefault(uid, 0);
  }

  int connectionsOfProcess(long pid) {
    return processes.getOrDefault(pid, 0);
  }

  int pendingOfUid(long uid) {
    return pendingUids.getOrDefault(uid, 0);
  }

  int connections() {
    return uids.values().stream().mapToInt(Integer::intValue).sum();
  }

  int pendingCounted() {
    return pendingUids.values().stream().mapToInt(Integer::intValue).sum();
  }

  private Admission refuse(ConnectionLimit limit, String reason) {
    refused(limit);
    return new Refusal(limit, reason);
  }

  private static String uid(long uid) {
    return uid == UNKNOWN ? "an unknown uid" : "uid " + uid;
  }

  private static boolean increment(ConcurrentHashMap<Long, Integer> counts, long key, int limit) {
    boolean[] taken = new boolean[1];
    counts.compute(key, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= limit) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  private static void decrement(ConcurrentHashMap<Long, Integer> counts, long key) {
    counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }
}
