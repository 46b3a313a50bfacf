package dev.peerid;

import dev.peerid.spi.VerifiedExecutable;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Verified executables by file identity. Concurrent first lookups of one file share one
 * verification (single flight); failures are not kept, so a transient read error is retried.
 * Bounded: past {@code capacity} entries, completed entries are dropped to make room.
 */
final class VerificationCache {
  private final ConcurrentHashMap<FileIdentity, CompletableFuture<VerifiedExecutable>> entries =
      new ConcurrentHashMap<>();
  private final int capacity;

  VerificationCache(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0");
    }
    this.capacity = capacity;
  }

  /** The completed entry for {@code key}, or null when there is none yet. */
  VerifiedExecutable getIfDone(FileIdentity key) {
    CompletableFuture<VerifiedExecutable> f = entries.get(key);
    if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
      return f.join();
    }
    return null;
  }

  /**
   * The entry for {@code key}; when absent, {@code start} begins the verification and every
   * concurrent caller gets the same future.
   */
  CompletableFuture<VerifiedExecutable> get(FileIdentity key, Supplier<CompletableFuture<VerifiedExecutable>> start) {
    if (capacity == 0) {
      return start.get();
    }
    CompletableFuture<VerifiedExecutable> existing = entries.get(key);
    if (existing != null) {
      return existing;
    }
    CompletableFuture<VerifiedExecutable> mine = new CompletableFuture<>();
    existing = entries.putIfAbsent(key, mine);
    if (existing != null) {
      return existing;
    }
    makeRoom();
    CompletableFuture<VerifiedExecutable> work;
    try {
      work = start.get();
    } catch (RuntimeException e) {
      entries.remove(key, mine);
      mine.completeExceptionally(e);
      return mine;
    }
    work.whenComplete((v, e) -> {
      if (e != null) {
        entries.remove(key, mine);
        mine.completeExceptionally(e);
      } else {
        mine.complete(v);
      }
    });
    return mine;
  }

  int size() {
    return entries.size();
  }

  void clear() {
    entries.clear();
  }

  private void makeRoom() {
    if (entries.size() <= capacity) {
      return;
    }
    Iterator<CompletableFuture<VerifiedExecutable>> it = entries.values().iterator();
    while (entries.size() > capacity && it.hasNext()) {
      if (it.next().isDone()) {
        it.remove();
      }
    }
  }
}
