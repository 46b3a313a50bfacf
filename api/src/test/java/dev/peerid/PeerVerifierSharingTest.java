package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * How PeerVerifier shares one file verification between peers. The backend here is a plain
 * in-memory one (the SPI is the unit under test's boundary; the real backends are exercised with
 * live processes in their own modules).
 */
class PeerVerifierSharingTest {
  private static final FileIdentity FILE = new FileIdentity(8, 42, 1000, 1, 1);

  /** A peer whose executable read blocks until released, then fails or succeeds. */
  private static final class Peer implements PeerProcess {
    final long pid;
    final boolean failsRead;
    final CountDownLatch release;
    final AtomicInteger reads;
    volatile boolean closed;
    Peer closedFlag;

    Peer(long pid, boolean failsRead, CountDownLatch release, AtomicInteger reads) {
      this.pid = pid;
      this.failsRead = failsRead;
      this.release = release;
      this.reads = reads;
    }

    @Override
    public ProcessInfo process() {
      return new ProcessInfo(pid, 1000, 1000, List.of(), Optional.empty(), Optional.empty(), "test", false);
    }

    @Override
    public ExecutableInfo executable() {
      return new ExecutableInfo("/opt/vendor/client", FILE);
    }

    @Override
    public RiskFacts risks() {
      return RiskFacts.NONE;
    }

    @Override
    public VerifiedExecutable verifyExecutable(VerificationContext context) throws IOException {
      reads.incrementAndGet();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (failsRead) {
        throw new IOException("process " + pid + " exited while its executable was read");
      }
      return VerifiedExecutable.of(CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.VALID)
          .signer(Signer.builder().keyId("01020304").trustName("vendor").build()).build());
    }

    @Override
    public void confirmUnchanged() throws PeerIdentificationException {
      if (closed) {
        throw new PeerIdentificationException("closed");
      }
    }

    @Override
    public void close() {
      closed = true;
      if (closedFlag != null) {
        closedFlag.closed = true;
      }
    }
  }

  private static PeerBackend backendOf(Peer... peers) {
    return new InMemoryBackend() {
      @Override
      public Optional<PeerProcess> attachIfKnown(PeerHandle handle) {
        return Optional.of(attach(handle)); // in memory: every peer is cheap to identify
      }

      @Override
      public PeerProcess attach(PeerHandle handle) {
        long pid = ((PeerHandle.ProcessId) handle).pid();
        for (Peer p : peers) {
          if (p.pid == pid) {
            // like a real backend: every attach pins the process anew
            Peer fresh = new Peer(p.pid, p.failsRead, p.release, p.reads);
            fresh.closedFlag = p;
            return fresh;
          }
        }
        throw new IllegalStateException("no peer " + pid);
      }
    };
  }

  @Test
  void aPeerThatJoinedAFailedSharedVerificationGetsItsOwnAttempt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    Peer dying = new Peer(100, true, release, reads);
    Peer healthy = new Peer(200, false, release, reads);
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed by \"vendor\"")).backend(backendOf(dying, healthy)).build()) {
      CompletableFuture<Verdict> first = verifier.verifyAsync(PeerHandle.pid(100));
      CompletableFuture<Verdict> second = verifier.verifyAsync(PeerHandle.pid(200));
      release.countDown();
      Verdict a = first.get(10, TimeUnit.SECONDS);
      Verdict b = second.get(10, TimeUnit.SECONDS);
      assertFalse(a.isAllowed());
      assertTrue(a.reasons().get(0).contains("exited while its executable was read"), a.reasons().toString());
      assertTrue(b.isAllowed(), "the healthy peer must not inherit the other's failure: " + b);
      assertEquals(2, reads.get(), "one shared attempt, one retry of the healthy peer");
      assertEquals(1, verifier.cachedFiles());
      assertTrue(dying.closed, "a denied peer is released");
    }
  }

  @Test
  void concurrentPeersOfOneFileShareOneVerificationAndACacheHitCompletesInline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    Peer[] peers = new Peer[20];
    for (int i = 0; i < peers.length; i++) {
      peers[i] = new Peer(1000 + i, false, release, reads);
    }
    try (PeerVerifier verifier = PeerVerifier.builder().trustStore(TrustStore.empty())
        .policy(Policy.parse("signed by \"vendor\"")).backend(backendOf(peers)).build()) {
      List<CompletableFuture<Verdict>> all = new java.util.ArrayList<>();
      for (Peer p : peers) {
        all.add(verifier.verifyAsync(PeerHandle.pid(p.pid)));
      }
      assertFalse(all.get(0).isDone(), "the file read happens on the verifier's executor, not here");
      release.countDown();
      for (CompletableFuture<Verdict> f : all) {
        Verdict v = f.get(10, TimeUnit.SECONDS);
        assertTrue(v.isAllowed(), v.toString());
      }
      assertEquals(1, reads.get());
      CompletableFuture<Verdict> hit = verifier.verifyAsync(PeerHandle.pid(1000));
      assertTrue(hit.isDone(), "a cache hit completes on the caller's thread");
      assertTrue(hit.get().isAllowed());
    }
  }
}
