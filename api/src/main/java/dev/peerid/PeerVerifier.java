package dev.peerid;

import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerBackend;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Decides whether a peer may talk to this server: identifies it through the platform backend,
 * verifies the executable it runs (once per file, cached by file identity), and applies the
 * policy. Built once, thread-safe.
 *
 * <pre>{@code
 * PeerVerifier verifier = PeerVerifier.builder()
 *     .trustStore(TrustStore.builder().trust("vendor", Path.of("vendor.pem")).build())
 *     .policy(Policy.parse("signed by \"vendor\""))
 *     .build();
 * PeerIdentity peer = verifier.authenticate(PeerHandle.socket(fd));   // throws if denied
 * }</pre>
 *
 * <p>The async forms never read or hash a file on the caller's thread, nor identify a process
 * the backend does not know; a known process running a file already verified is decided on the
 * caller's thread after a few system calls.
 */
public final class PeerVerifier implements AutoCloseable {
  private static final String BUSY = "busy: too many verifications pending";
  private final TrustStore trust;
  private final Policy policy;
  private final PeerBackend backend;
  private final boolean ownsBackend;
  private final List<ExecutableVerifier> verifiers;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final VerificationCache cache;
  private final VerificationContext context;
  private final Decisions decisions;

  private PeerVerifier(Builder b) {
    this.trust = Objects.requireNonNull(b.trust, "trustStore is required (an empty one trusts nobody)");
    this.policy = Objects.requireNonNull(b.policy, "policy is required");
    this.backend = b.backend != null ? b.backend : defaultBackend();
    this.ownsBackend = b.backend == null;
    List<ExecutableVerifier> vs = new ArrayList<>(b.verifiers != null ? b.verifiers : loadVerifiers());
    vs.sort(Comparator.comparingInt(ExecutableVerifier::priority));
    this.verifiers = List.copyOf(vs);
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      this.ownedExecutor = newBoundedExecutor(b.threads, b.queueLimit);
      this.executor = ownedExecutor;
    }
    this.cache = new VerificationCache(b.cacheSize);
    this.context = new VerificationContext(trust, b.maxFileSize, policy.needsSha256());
    this.decisions = new Decisions(b.onVerdict);
  }

  public static Builder builder() {
    return new Builder();
  }

  public TrustStore trustStore() {
    return trust;
  }

  public Policy policy() {
    return policy;
  }

  /** The backend in use, or null when none supports this platform. */
  public PeerBackend backend() {
    return backend;
  }

  /**
   * Prepares a listening socket so that the writer of every read of the connections it accepts
   * can be told from their first byte ({@link PeerSession#senderCheck}); call it after bind, before
   * accepting. On Linux it sets {@code SO_PASSCRED}, which accepted sockets inherit. Does nothing
   * where no backend needs it.
   */
  public void prepareListener(PeerHandle listeningSocket) throws PeerIdentificationException {
    Objects.requireNonNull(listeningSocket, "listeningSocket");
    if (backend != null && backend.isSupported()) {
      backend.prepareListener(listeningSocket);
    }
  }

  /** Verifies a peer, blocking; never throws for a denial (read {@link Verdict#isAllowed()}). */
  public Verdict verify(PeerHandle handle) {
    try (PeerSession session = open(handle)) {
      return session.verdict();
    }
  }

  /** Verifies a peer; returns its identity when allowed, throws when denied or unidentifiable. */
  public PeerIdentity authenticate(PeerHandle handle) throws PeerVerificationException {
    Verdict v = verify(handle);
    if (!v.isAllowed() && v.identity().isEmpty()) {
      throw new PeerIdentificationException(String.join("; ", v.reasons()));
    }
    return v.requireAllowed();
  }

  /** Verifies without blocking the caller on file I/O. */
  public CompletableFuture<Verdict> verifyAsync(PeerHandle handle) {
    return openAsync(handle).thenApply(s -> {
      s.close();
      return s.verdict();
    });
  }

  /** Verifies and keeps the peer pinned for {@link PeerSession#revalidate()}; close the session. */
  public PeerSession open(PeerHandle handle) {
    Objects.requireNonNull(handle, "handle");
    Decisions.Decision d = decisions.begin(VerdictEvent.PEER);
    PeerSession session = decide(handle, d);
    decisions.made(d, session.verdict());
    return session;
  }

  private PeerSession decide(PeerHandle handle, Decisions.Decision d) {
    PeerSession refused = refusal(handle);
    if (refused != null) {
      return refused;
    }
    try {
      return attachAndVerify(handle, Runnable::run, d).join();
    } catch (CompletionException e) {
      return new PeerSession(Verdict.deny(null, "internal error while verifying the peer: " + e.getCause()), null);
    }
  }

  /**
   * The async form of {@link #open}. Decided on the caller's thread only when that costs a few
   * system calls: a peer the backend knows (on Linux, a process it read in full in the last
   * 100 ms) running a file already verified. Identifying a process it does not know (on Linux:
   * reading its /proc files, the tracer of every thread) and verifying a file run on the
   * verifier's executor; when that is full, the peer is denied as "busy". A socket handle's
   * descriptor must stay open until the future completes.
   */
  public CompletableFuture<PeerSession> openAsync(PeerHandle handle) {
    Objects.requireNonNull(handle, "handle");
    Decisions.Decision d = decisions.begin(VerdictEvent.PEER);
    return decideAsync(handle, d).whenComplete((session, error) -> {
      if (session != null) {
        decisions.madeAsync(d, session.verdict());
      }
    });
  }

  private CompletableFuture<PeerSession> decideAsync(PeerHandle handle, Decisions.Decision d) {
    PeerSession refused = refusal(handle);
    if (refused != null) {
      return CompletableFuture.completedFuture(refused);
    }
    Optional<PeerProcess> known;
    try {
      known = backend.attachIfKnown(handle);
    } catch (PeerIdentificationException e) {
      return CompletableFuture.completedFuture(cannotIdentify(e.getMessage()));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(cannotIdentify(e.toString()));
    }
    if (known.isPresent()) {
      return verifyAttached(known.get(), executor, d);
    }
    try {
      // already on a worker: the file, if it needs verifying, is verified there too
      return CompletableFuture.supplyAsync(() -> attachAndVerify(handle, Runnable::run, d), executor)
          .thenCompose(f -> f);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(new PeerSession(Verdict.deny(null, BUSY), null));
    }
  }

  /** Identifies the peer in full on this thread (the handle was accepted), then verifies it. */
  private CompletableFuture<PeerSession> attachAndVerify(PeerHandle handle, Executor work, Decisions.Decision d) {
    PeerProcess process;
    try {
      process = backend.attach(handle);
    } catch (PeerIdentificationException e) {
      return CompletableFuture.completedFuture(cannotIdentify(e.getMessage()));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(cannotIdentify(e.toString()));
    }
    return verifyAttached(process, work, d);
  }

  /** A denial when no backend can take this handle here; null when one can. */
  private PeerSession refusal(PeerHandle handle) {
    if (backend == null) {
      return new PeerSession(Verdict.deny(null,
          "no peerid backend supports this platform (" + System.getProperty("os.name")
              + "): add peerid-linux, peerid-macos or peerid-windows to the class path"), null);
    }
    if (!backend.isSupported() || !backend.accepts(handle)) {
      String why = !backend.isSupported()
          ? "the " + backend.platform().id() + " backend is not supported here"
              + backend.unavailabilityCause().map(c -> ": " + c.getMessage()).orElse("")
          : "the " + backend.platform().id() + " backend does not accept a " + handle.getClass().getSimpleName();
      return new PeerSession(Verdict.deny(null, why), null);
    }
    return null;
  }

  private static PeerSession cannotIdentify(String why) {
    return new PeerSession(Verdict.deny(null, "cannot identify the peer: " + why), null);
  }

  private CompletableFuture<PeerSession> verifyAttached(PeerProcess process, Executor work, Decisions.Decision d) {
    FileIdentity key = process.executable().identity();
    VerifiedExecutable cached = cache.getIfDone(key);
    if (cached != null) {
      d.cacheHit();
      // nothing ran between the attach and now: its facts are as fresh as a re-check would make them
      return CompletableFuture.completedFuture(identify(process, cached));
    }
    return verifyAndConclude(process, key, work, true);
  }

  /**
   * Verifies the executable (once per file: concurrent callers share one verification) and
   * concludes. A shared verification can fail for a reason of another peer's (it exited while its
   * /proc/PID/exe was being read); a peer that only joined it gets one attempt of its own.
   */
  private CompletableFuture<PeerSession> verifyAndConclude(PeerProcess process, FileIdentity key, Executor work,
      boolean mayRetry) {
    AtomicBoolean ranHere = new AtomicBoolean();
    CompletableFuture<VerifiedExecutable> pending;
    try {
      pending = cache.get(key, () -> {
        ranHere.set(true);
        return CompletableFuture.supplyAsync(() -> verifyExecutable(process), work);
      });
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(denyAndClose(process, BUSY));
    }
    return pending.handle((verified, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(conclude(process, verified));
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (cause instanceof RejectedExecutionException) {
        return CompletableFuture.completedFuture(denyAndClose(process, BUSY));
      }
      if (mayRetry && !ranHere.get()) {
        return verifyAndConclude(process, key, work, false);
      }
      return CompletableFuture.completedFuture(denyAndClose(process, "cannot read the peer's executable "
          + process.executable().path() + ": "
          + (cause instanceof UncheckedIOException u ? u.getCause().getMessage() : String.valueOf(cause))));
    }).thenCompose(f -> f);
  }

  private VerifiedExecutable verifyExecutable(PeerProcess process) {
    try {
      return process.verifyExecutable(context);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PeerSession conclude(PeerProcess process, VerifiedExecutable verified) {
    try {
      process.confirmUnchanged();
    } catch (PeerIdentificationException e) {
      return denyAndClose(process, "the peer changed during verification: " + e.getMessage());
    } catch (RuntimeException e) {
      return denyAndClose(process, "cannot confirm the peer is unchanged: " + e);
    }
    return identify(process, verified);
  }

  private PeerSession identify(PeerProcess process, VerifiedExecutable verified) {
    PeerIdentity identity = PeerIdentity.ofProcess(backend.platform(), process.process(),
        process.executable().withSha256(verified.sha256()), verified.signature(),
        process.risks().withInterpreter(verified.interpreter()));
    return new PeerSession(evaluate(identity), process, backend);
  }

  private Verdict evaluate(PeerIdentity identity) {
    try {
      return policy.evaluate(identity);
    } catch (RuntimeException e) {
      return Verdict.deny(identity, "internal error while evaluating the policy: " + e);
    }
  }

  private static PeerSession denyAndClose(PeerProcess process, String reason) {
    process.close();
    return new PeerSession(Verdict.deny(null, reason), null);
  }

  /**
   * Verifies a file on its own (no process): the format is detected from its first bytes. Throws
   * {@link IOException} when the file cannot be read.
   */
  public Verdict verifyFile(Path file) throws IOException {
    Decisions.Decision d = decisions.begin(VerdictEvent.FILE);
    PeerIdentity identity = identifyFile(file);
    return decisions.made(d, evaluate(identity));
  }

  /**
   * Verifies one architecture of a Mach-O file, judged on its own signature as if it were the whole
   * file (e.g. {@code arm64} or {@code x86_64}); a file without that slice is denied, naming the
   * slices it has.
   */
  public Verdict verifyFile(Path file, String architecture) throws IOException {
    Objects.requireNonNull(architecture, "architecture");
    Decisions.Decision d = decisions.begin(VerdictEvent.FILE);
    PeerIdentity identity = identifyFile(file);
    Optional<CodeSignature> slice = identity.signature().slice(architecture);
    if (slice.isEmpty()) {
      List<String> present = identity.signature().slices().stream().map(CodeSignature.Slice::architecture).toList();
      return decisions.made(d, Verdict.deny(identity, "the file has no " + architecture + " slice ("
          + (present.isEmpty() ? SignatureFacts.kind(identity.signature()) + ", not a Mach-O file with slices"
              : "its slices: " + String.join(", ", present)) + ")"));
    }
    return decisions.made(d, evaluate(identity.withSignature(slice.get())));
  }

  /** The identity of a file checked on its own, without applying the policy. */
  public PeerIdentity identifyFile(Path file) throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
    if (!attrs.isRegularFile()) {
      throw new IOException(file + ": not a regular file");
    }
    FileIdentity id = FileIdentity.of(file);
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(4096);
    }
    ExecutableVerifier chosen = null;
    for (ExecutableVerifier v : verifiers) {
      if (v.recognizes(head)) {
        chosen = v;
        break;
      }
    }
    VerifiedExecutable verified;
    if (chosen == null) {
      verified = VerifiedExecutable.of(CodeSignature.unsigned(SignatureFormat.NONE,
          "no signature format recognised (no peerid verifier on the class path accepts this file)"));
    } else {
      verified = chosen.verify(ExecutableFile.of(file), context);
    }
    if (verified.interpreter().isEmpty()) {
      verified = new VerifiedExecutable(verified.signature(), Interpreters.byPath(file.toString()), verified.sha256());
    }
    Platform platform = switch (verified.signature().format()) {
      case IMA -> Platform.LINUX;
      case MACHO -> Platform.MACOS;
      case AUTHENTICODE -> Platform.WINDOWS;
      case NONE -> Platform.current() != null ? Platform.current() : Platform.LINUX;
    };
    ExecutableInfo exe = new ExecutableInfo(file.toString(), id, verified.sha256());
    return PeerIdentity.ofFile(platform, exe, verified.signature(), RiskFacts.NONE.withInterpreter(verified.interpreter()));
  }

  /** Number of cached file verifications (for tests and metrics). */
  public int cachedFiles() {
    return cache.size();
  }

  /** Forgets every cached verification (e.g. after a trust store change is rolled out). */
  public void clearCache() {
    cache.clear();
  }

  /** Stops the verifier's own executor, if it made one, and closes the backend it loaded itself. */
  @Override
  public void close() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
    if (ownsBackend && backend != null) {
      backend.close();
    }
    decisions.close();
  }

  private static PeerBackend defaultBackend() {
    Platform here = Platform.current();
    PeerBackend fallback = null;
    for (PeerBackend b : providers(PeerBackend.class)) {
      if (b.platform() == here) {
        if (b.isSupported()) {
          return b;
        }
        fallback = b;
      }
    }
    return fallback;
  }

  private static List<ExecutableVerifier> loadVerifiers() {
    return providers(ExecutableVerifier.class);
  }

  /**
   * Every provider that loads; a broken provider entry (stale jar, missing class) is skipped so
   * that one bad jar on the class path cannot stop the server from starting. Skipping can only
   * remove a way to allow a peer, never add one.
   */
  private static <T> List<T> providers(Class<T> type) {
    List<T> out = new ArrayList<>();
    java.util.Iterator<T> it = ServiceLoader.load(type, PeerVerifier.class.getClassLoader()).iterator();
    for (int errors = 0; errors < 64; ) {
      try {
        if (!it.hasNext()) {
          break;
        }
        out.add(it.next());
      } catch (java.util.ServiceConfigurationError | LinkageError e) {
        errors++;
        System.getLogger(PeerVerifier.class.getName()).log(System.Logger.Level.WARNING,
            "peerid: skipping a " + type.getSimpleName() + " provider that does not load: " + e);
      }
    }
    return out;
  }

  private static ExecutorService newBoundedExecutor(int threads, int queueLimit) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(queueLimit), r -> {
          Thread t = new Thread(r, "peerid-verify-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Builder; a trust store and a policy are required. */
  public static final class Builder {
    private TrustStore trust;
    private Policy policy;
    private PeerBackend backend;
    private List<ExecutableVerifier> verifiers;
    private Executor executor;
    private int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    private int queueLimit = 1024;
    private int cacheSize = 4096;
    private long maxFileSize = VerificationContext.DEFAULT_MAX_FILE_SIZE;
    private Consumer<Verdict> onVerdict;

    private Builder() {}

    public Builder trustStore(TrustStore trust) {
      this.trust = Objects.requireNonNull(trust, "trust");
      return this;
    }

    public Builder policy(Policy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Uses this backend instead of the one {@link ServiceLoader} finds for this OS. */
    public Builder backend(PeerBackend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    /** Uses these file verifiers instead of the ones {@link ServiceLoader} finds. */
    public Builder verifiers(List<ExecutableVerifier> verifiers) {
      this.verifiers = List.copyOf(verifiers);
      return this;
    }

    /**
     * Runs file verification on this executor (bounded, please: a rejected task denies the peer
     * as "busy"). Default: a private pool of {@code threads} daemon threads and a queue of
     * {@code queueLimit} tasks.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1");
      }
      this.threads = threads;
      return this;
    }

    public Builder queueLimit(int queueLimit) {
      if (queueLimit < 1) {
        throw new IllegalArgumentException("queueLimit must be >= 1");
      }
      this.queueLimit = queueLimit;
      return this;
    }

    /** How many files' verifications to keep; 0 turns the cache off. Default 4096. */
    public Builder cacheSize(int cacheSize) {
      if (cacheSize < 0) {
        throw new IllegalArgumentException("cacheSize must be >= 0");
      }
      this.cacheSize = cacheSize;
      return this;
    }

    /** Executables larger than this are refused unhashed. Default 4 GiB. */
    public Builder maxFileSize(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxFileSize must be > 0");
      }
      this.maxFileSize = bytes;
      return this;
    }

    /**
     * Calls {@code listener} once per decision ({@code open}, {@code verify}, {@code authenticate},
     * their async forms, {@code verifyFile}), e.g. to write an audit log. The blocking forms call
     * it on the caller's thread before they return; the async forms on a peerid thread, in the
     * order of the decisions, never on the thread that asked (an event loop). Should the listener
     * fall 8192 verdicts behind, the deciding thread runs it: verdicts are delayed, never lost. A
     * listener that throws is logged; the decision stands.
     */
    public Builder onVerdict(Consumer<Verdict> listener) {
      this.onVerdict = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public PeerVerifier build() {
      return new PeerVerifier(this);
    }
  }
}
