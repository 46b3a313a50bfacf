package dev.peerid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which thread does what in {@link PeerVerifier#openAsync}: only a peer the backend knows, running
 * a file already verified, is decided on the caller's thread (an event loop, say); identifying a
 * process the backend does not know happens on the verifier's executor. The backend is an
 * in-memory one that records the thread of each call (the SPI is this unit's boundary).
 */
class PeerVerifierThreadsTest {
  private static final FileIdentity FILE = new FileIdentity(8, 42, 1000, 1, 1);
  private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> new Thread(r, "test-worker"));

  @AfterEach
  void tearDown() {
    workers.shutdownNow();
  }

  /** Knows a process only after {@code know()}; records where each call ran. */
  private static final class RecordingBackend extends InMemoryBackend {
    final AtomicReference<String> attachThread = new AtomicReference<>();
    final AtomicReference<String> attachIfKnownThread = new AtomicReference<>();
    volatile boolean known;
    volatile PeerIdentificationException failKnown;

    @Override
    public PeerProcess attach(PeerHandle handle) {
      attachThread.set(Thread.currentThread().getName());
      return new Peer();
    }

    @Override
    public Optional<PeerProcess> attachIfKnown(PeerHandle handle) throws PeerIdentificationException {
      attachIfKnownThread.set(Thread.currentThread().getName());
      if (failKnown != null) {
        throw failKnown;
      }
      return known ? Optional.of(new Peer()) : Optional.empty();
    }
  }

  private static final class Peer implements PeerProcess {
    @Override
    public ProcessInfo process() {
      return new ProcessInfo(7, 1000, 1000, List.of(), Optional.empty(), Optional.empty(), "test", false);
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
    public VerifiedExecutable verifyExecutable(VerificationContext context) {
      return VerifiedExecutable.of(CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.VALID)
          .signer(Signer.builder().keyId("01020304").trustName("vendor").build()).build());
    }

    @Override
    public void confirmUnchanged() {}

    @Override
    public void close() {}
  }

  private PeerVerifier verifier(PeerBackend backend, java.util.concurrent.Executor executor) throws Exception {
    return PeerVerifier.builder().trustStore(TrustStore.empty()).policy(Policy.parse("uid = 1000"))
        .backend(backend).executor(executor).build();
  }

  @Test
  void aProcessTheBackendDoesNotKnowIsIdentifiedOnTheExecutor() throws Exception {
    RecordingBackend backend = new RecordingBackend();
    try (PeerVerifier verifier = verifier(backend, workers)) {
      Verdict v = verifier.openAsync(PeerHandle.pid(7)).get(10, TimeUnit.SECONDS).verdict();
      assertTrue(v.isAllowed(), v.toString());
      assertEquals(Thread.currentThread().getName(), backend.attachIfKnownThread.get(), "the cheap try: inline");
      assertEquals("test-worker", backend.attachThread.get(), "the full identification: on the executor");
    }
  }

  @Test
  void aKnownProcessRunningAVerifiedFileIsDecidedOnTheCallersThread() throws Exception {
    RecordingBackend backend = new RecordingBackend();
    try (PeerVerifier verifier = verifier(backend, workers)) {
      verifier.openAsync(PeerHandle.pid(7)).get(10, TimeUnit.SECONDS).close(); // verifies the file once
      backend.attachThread.set(null);
      backend.known = true;
      CompletableFuture<PeerSession> f = verifier.openAsync(PeerHandle.pid(7));
      assertTrue(f.isDone(), "decided without leaving the caller's thread");
      assertTrue(f.join().verdict().isAllowed(), f.join().verdict().toString());
      assertEquals(null, backend.attachThread.get(), "no full identification");
    }
  }

  @Test
  void aFullExecutorDeniesAnUnknownProcessAsBusy() throws Exception {
    RecordingBackend backend = new RecordingBackend();
    try (PeerVerifier verifier = verifier(backend, r -> {
      throw new RejectedExecutionException("full");
    })) {
      Verdict v = verifier.openAsync(PeerHandle.pid(7)).get(10, TimeUnit.SECONDS).verdict();
      assertFalse(v.isAllowed());
      assertTrue(v.reasons().get(0).startsWith("busy"), v.reasons().toString());
      assertEquals(null, backend.attachThread.get(), "nothing ran on the caller's thread instead");
    }
  }

  @Test
  void aFailureOfTheCheapTryDeniesWithItsReason() throws Exception {
    RecordingBackend backend = new RecordingBackend();
    backend.failKnown = new PeerIdentificationException("process 7 exited");
    try (PeerVerifier verifier = verifier(backend, workers)) {
      Verdict v = verifier.openAsync(PeerHandle.pid(7)).get(10, TimeUnit.SECONDS).verdict();
      assertFalse(v.isAllowed());
      assertEquals(List.of("cannot identify the peer: process 7 exited"), v.reasons());
      assertEquals(null, backend.attachThread.get());
    }
  }

  @Test
  void theBlockingFormsIdentifyOnTheCallersThread() throws Exception {
    RecordingBackend backend = new RecordingBackend();
    try (PeerVerifier verifier = verifier(backend, workers)) {
      assertTrue(verifier.verify(PeerHandle.pid(7)).isAllowed());
      assertEquals(Thread.currentThread().getName(), backend.attachThread.get());
    }
  }
}
