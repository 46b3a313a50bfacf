package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.spi.VerifiedExecutable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VerificationCacheTest {
  private static final VerifiedExecutable RESULT =
      VerifiedExecutable.of(CodeSignature.unsigned(SignatureFormat.IMA, "no security.ima"));

  @Test
  void concurrentFirstLookupsOfOneFileRunOnce() throws Exception {
    VerificationCache cache = new VerificationCache(16);
    FileIdentity key = new FileIdentity(1, 2, 3, 4, 5);
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<VerifiedExecutable>> all = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        all.add(CompletableFuture.supplyAsync(() -> cache.get(key, () -> CompletableFuture.supplyAsync(() -> {
          runs.incrementAndGet();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return RESULT;
        })), pool).thenCompose(f -> f));
      }
      Thread.sleep(100);
      release.countDown();
      for (CompletableFuture<VerifiedExecutable> f : all) {
        assertSame(RESULT, f.get(10, TimeUnit.SECONDS));
      }
      assertEquals(1, runs.get());
      assertSame(RESULT, cache.getIfDone(key));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void changedFileIsAnotherKeyAndFailuresAreNotKept() {
    VerificationCache cache = new VerificationCache(16);
    FileIdentity before = new FileIdentity(1, 2, 3, 4, 5);
    FileIdentity touched = new FileIdentity(1, 2, 3, 4, 6);
    cache.get(before, () -> CompletableFuture.completedFuture(RESULT)).join();
    assertNull(cache.getIfDone(touched), "a changed ctime must not hit the cache");

    CompletableFuture<VerifiedExecutable> failed =
        cache.get(touched, () -> CompletableFuture.failedFuture(new java.io.IOException("EIO")));
    assertTrue(failed.isCompletedExceptionally());
    assertNull(cache.getIfDone(touched));
    assertSame(RESULT, cache.get(touched, () -> CompletableFuture.completedFuture(RESULT)).join());
  }

  @Test
  void staysWithinCapacity() {
    VerificationCache cache = new VerificationCache(8);
    for (int i = 0; i < 100; i++) {
      cache.get(new FileIdentity(1, i, 3, 4, 5), () -> CompletableFuture.completedFuture(RESULT)).join();
    }
    assertTrue(cache.size() <= 9, "size " + cache.size());
  }
}
