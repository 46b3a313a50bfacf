package dev.peerid.linux;

import dev.peerid.ExecutableInfo;
import dev.peerid.RiskFacts;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The expensive facts of recently identified peer processes (which file they run, whether a
 * debugger was attached, what their environment injects), so that a client opening many
 * connections is not read in full for each.
 *
 * <p>A process is known by the inode of its pidfd on pidfs, which the kernel gives to no other
 * process during the boot: unlike a pid, it cannot come back naming another process. Each entry
 * holds an {@code O_PATH} descriptor of the process's {@code /proc/<pid>} directory, which stays
 * bound to that one process: through it, a stat of {@code exe} tells, without a pid that could have
 * been reused, whether the process still runs the same file. An entry is used only while it is
 * younger than the maximum age.
 *
 * <p>What this trades, for that maximum age: a debugger attached to a client after one of its
 * connections was identified, and an exec of the same file with another environment, are seen by
 * the next full read, not by the next connection. An exec of another program, or a change to the
 * file, is seen at once.
 */
final class RecentProcesses {
  /** Below this many entries, expired ones wait for their process's next connection to be dropped. */
  private static final int SWEEP_ABOVE = 8;
  private final long maxAgeNanos;
  private final int capacity;
  private final IntConsumer close;
  private final ConcurrentHashMap<Long, Known> byProcess = new ConcurrentHashMap<>();

  /**
   * @param close closes a descriptor an entry held, once no caller uses it any more
   */
  RecentProcesses(long maxAgeNanos, int capacity, IntConsumer close) {
    if (maxAgeNanos <= 0 || capacity <= 0) {
      throw new IllegalArgumentException("maxAgeNanos and capacity must be positive");
    }
    this.maxAgeNanos = maxAgeNanos;
    this.capacity = capacity;
    this.close = close;
  }

  /**
   * What a full read found about one process, and the {@code /proc/<pid>} descriptor bound to it.
   * Counted: the map holds one reference, each caller between {@link #acquire} and
   * {@link #release} one more; the descriptor is closed when the last one is released, so that no
   * caller can stat through a number that was closed and reused meanwhile.
   */
  static final class Known {
    final long pid;
    final ExecutableInfo exe;
    final RiskFacts risks;
    final LinuxPeerProcess.Credentials credentials;
    final long readAtNanos;
    final int procDir;
    private final AtomicInteger references = new AtomicInteger(1);
    private final IntConsumer close;

    private Known(long pid, ExecutableInfo exe, RiskFacts risks, LinuxPeerProcess.Credentials credentials,
        long readAtNanos, int procDir, IntConsumer close) {
      this.pid = pid;
      this.exe = exe;
      this.risks = risks;
      this.credentials = credentials;
      this.readAtNanos = readAtNanos;
      this.procDir = procDir;
      this.close = close;
    }

    private boolean retain() {
      while (true) {
        int n = references.get();
        if (n == 0) {
          return false; // already released by all: its descriptor is closed
        }
        if (references.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }

    void release() {
      if (references.decrementAndGet() == 0) {
        close.accept(procDir);
      }
    }
  }

  /**
   * The facts of the process with this pidfs inode, read less than the maximum age ago, retained:
   * the caller must {@link Known#release()} them. Null when there are none.
   */
  Known acquire(long processInode, long pid, long nowNanos) {
    Known k = byProcess.get(processInode);
    if (k == null) {
      return null;
    }
    if (k.pid != pid || nowNanos - k.readAtNanos >= maxAgeNanos) {
      forget(processInode, k);
      return null;
    }
    return k.retain() ? k : null;
  }

  /**
   * Remembers what a full read that started at {@code readAtNanos} found; takes ownership of
   * {@code procDir} (closed at once if the process is already known).
   */
  void remember(long processInode, long pid, ExecutableInfo exe, RiskFacts risks, LinuxPeerProcess.Credentials credentials,
      long readAtNanos, int procDir) {
    if (byProcess.size() >= SWEEP_ABOVE) {
      // processes come and go: drop what is too old to be used, and with it its descriptor
      byProcess.forEach((key, k) -> {
        if (readAtNanos - k.readAtNanos >= maxAgeNanos) {
          forget(key, k);
        }
      });
      if (byProcess.size() >= capacity) {
        // every entry is young (a burst of new clients): start over rather than grow
        byProcess.forEach(this::forget);
      }
    }
    Known fresh = new Known(pid, exe, risks, credentials, readAtNanos, procDir, close);
    Known old = byProcess.put(processInode, fresh);
    if (old != null) {
      old.release();
    }
  }

  private void forget(long processInode, Known k) {
    if (byProcess.remove(processInode, k)) {
      k.release();
    }
  }

  /** Forgets every process and closes what no caller still uses. */
  void clear() {
    byProcess.forEach(this::forget);
  }

  int size() {
    return byProcess.size();
  }
}
