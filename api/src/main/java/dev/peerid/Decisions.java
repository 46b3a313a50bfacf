package dev.peerid;

import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Where a {@link PeerVerifier}'s decisions go: a JFR event each, and the verdict listener, if
 * any. The blocking forms call the listener on the caller's thread; the async forms on a peerid
 * thread, in order, so that a decision made on an event loop never runs the listener there.
 */
final class Decisions {
  /** Verdicts waiting for a slow listener; past this the deciding thread runs it (back-pressure, none lost). */
  private static final int QUEUE = 8192;
  private static final System.Logger LOG = System.getLogger(PeerVerifier.class.getName());

  /** One decision in progress: its timing and whether the executable's verification was cached. */
  static final class Decision {
    private final VerdictEvent event;
    private volatile boolean cacheHit;

    private Decision(String subject) {
      event = new VerdictEvent(subject);
      event.begin();
    }

    void cacheHit() {
      cacheHit = true;
    }
  }

  private final Consumer<Verdict> listener;
  private final ExecutorService listenerThread;

  Decisions(Consumer<Verdict> listener) {
    this.listener = listener;
    this.listenerThread = listener == null ? null : new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(QUEUE), r -> {
          Thread t = new Thread(r, "peerid-verdict-listener");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
  }

  Decision begin(String subject) {
    return new Decision(subject);
  }

  /** A decision made for a blocking call: the listener runs here, before the call returns. */
  Verdict made(Decision d, Verdict verdict) {
    d.event.commit(verdict, d.cacheHit);
    if (listener != null) {
      tell(verdict);
    }
    return verdict;
  }

  /** A decision made for an async call, possibly on an event loop: the listener runs on its own thread. */
  void madeAsync(Decision d, Verdict verdict) {
    d.event.commit(verdict, d.cacheHit);
    if (listener != null) {
      try {
        listenerThread.execute(() -> tell(verdict));
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        tell(verdict);
      }
    }
  }

  private void tell(Verdict verdict) {
    try {
      listener.accept(Objects.requireNonNull(verdict));
    } catch (RuntimeException e) {
      // an audit listener's bug must not change or delay the decision's outcome
      LOG.log(System.Logger.Level.WARNING, "peerid: the verdict listener threw; verdict was: " + verdict, e);
    }
  }

  /** Lets the verdicts already queued reach the listener, then stops its thread. */
  void close() {
    if (listenerThread != null) {
      listenerThread.shutdown();
      try {
        listenerThread.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
