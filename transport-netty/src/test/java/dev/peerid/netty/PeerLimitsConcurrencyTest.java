package dev.peerid.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The counts themselves, hammered by many threads: never above a limit, back to zero, nothing left behind. */
class PeerLimitsConcurrencyTest {
  @Test
  void neverAboveTheLimitAndBackToZero() throws Exception {
    PeerLimits limits = new PeerLimits(true, 3, 7, 5);
    int threads = 8;
    int rounds = 20_000;
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger maxInside = new AtomicInteger();
    AtomicInteger admitted = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int t = 0; t < threads; t++) {
      long pid = 100 + t % 4; // four processes of one uid, two threads each
      Thread th = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < rounds; i++) {
            PeerLimits.Admission a = limits.connection(1000, pid);
            if (a instanceof PeerLimits.Held h) {
              admitted.incrementAndGet();
              int now = inside.incrementAndGet();
              maxInside.accumulateAndGet(now, Math::max);
              if (limits.connectionsOfProcess(pid) > 3) {
                throw new AssertionError("process " + pid + " above its limit");
              }
              inside.decrementAndGet();
              h.release();
              h.release(); // a second release gives back nothing more
            }
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      ts.add(th);
      th.start();
    }
    start.countDown();
    for (Thread th : ts) {
      th.join();
    }
    assertTrue(failures.isEmpty(), failures.toString());
    assertTrue(maxInside.get() <= 7, "at most the per-uid limit at once: " + maxInside.get());
    assertTrue(admitted.get() > 0);
    assertEquals(0, limits.connections());
    assertEquals(0, limits.connectionsOfUid(1000));
    assertEquals(threads * (long) rounds - admitted.get(), limits.refusals(ConnectionLimit.CONNECTIONS_PER_UID)
        + limits.refusals(ConnectionLimit.CONNECTIONS_PER_PROCESS));
  }

  @Test
  void theReasonsNameTheLimit() {
    PeerLimits limits = new PeerLimits(true, 1, 1, 1);
    assertTrue(limits.connection(1000, 1) instanceof PeerLimits.Held);
    PeerLimits.Refusal r = (PeerLimits.Refusal) limits.connection(1000, 2);
    assertEquals("too many connections from uid 1000 (limit 1)", r.reason());
    assertEquals(ConnectionLimit.CONNECTIONS_PER_UID, r.limit());
    assertTrue(limits.pending(1000) instanceof PeerLimits.Held);
    PeerLimits.Refusal p = (PeerLimits.Refusal) limits.pending(1000);
    assertEquals("too many connections from uid 1000 waiting for a verdict (limit 1)", p.reason());
  }
}
