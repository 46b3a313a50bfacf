package dev.peerid.windows;

import com.sun.jna.platform.win32.WinNT;
import dev.peerid.ExecutableInfo;
import dev.peerid.FileIdentity;
import dev.peerid.Interpreters;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** A peer process pinned by a PROCESS_QUERY_LIMITED_INFORMATION handle held until {@link #close()}. */
final class WindowsPeerProcess implements PeerProcess {
  private final Kernel32Library kernel32;
  private final WinNT.HANDLE handle;
  private final long pid;
  private final long creationTime;
  private final String imagePath;
  private final boolean racy;
  private final FileIdentity identity;
  private final ExecutableVerifier verifier;
  private final AtomicBoolean closed = new AtomicBoolean();

  WindowsPeerProcess(Kernel32Library kernel32, WinNT.HANDLE handle, long pid, long creationTime, String imagePath,
      boolean racy, FileIdentity identity, ExecutableVerifier verifier) {
    this.kernel32 = kernel32;
    this.handle = handle;
    this.pid = pid;
    this.creationTime = creationTime;
    this.imagePath = imagePath;
    this.racy = racy;
    this.identity = identity;
    this.verifier = verifier;
  }

  @Override
  public ProcessInfo process() {
    return new ProcessInfo(pid, ProcessInfo.UNKNOWN, ProcessInfo.UNKNOWN, List.of(), Optional.empty(),
        Optional.empty(), "handle:creation=" + creationTime, racy);
  }

  @Override
  public ExecutableInfo executable() {
    return new ExecutableInfo(imagePath, identity);
  }

  @Override
  public RiskFacts risks() {
    return RiskFacts.NONE.withInterpreter(Interpreters.byPath(imagePath));
  }

  @Override
  public VerifiedExecutable verifyExecutable(VerificationContext context) throws IOException {
    ensureOpen();
    VerifiedExecutable result = verifier.verify(new ExecutableFile(Path.of(imagePath), imagePath), context);
    try {
      // The verdict is about the process we pinned only if it is still running now.
      confirmUnchanged();
    } catch (PeerIdentificationException e) {
      throw new IOException("the peer changed during verification: " + e.getMessage(), e);
    }
    Optional<String> interpreter = Interpreters.byPath(imagePath);
    return interpreter.isPresent() ? new VerifiedExecutable(result.signature(), interpreter, result.sha256()) : result;
  }

  @Override
  public void confirmUnchanged() throws PeerIdentificationException {
    ensureOpenForCheck();
    ProcessPinner.requireAlive(kernel32, handle, pid);
    long actual = Integer.toUnsignedLong(kernel32.GetProcessId(handle));
    if (actual != pid) {
      throw new PeerIdentificationException("the pinned handle now reports pid " + actual + ", not " + pid);
    }
    if (ProcessPinner.creationTime(kernel32, handle) != creationTime) {
      throw new PeerIdentificationException("process " + pid + " has a different creation time: not the same process");
    }
    String image = ProcessPinner.imagePath(kernel32, handle);
    if (!image.equals(imagePath)) {
      throw new PeerIdentificationException("process " + pid + " image changed from " + imagePath + " to " + image);
    }
    if (!WindowsFileIdentity.read(kernel32, imagePath).equals(identity)) {
      throw new PeerIdentificationException("the image file " + imagePath + " was replaced or modified");
    }
  }

  private void ensureOpen() throws IOException {
    if (closed.get()) {
      throw new IOException("the peer process handle was closed");
    }
  }

  private void ensureOpenForCheck() throws PeerIdentificationException {
    if (closed.get()) {
      throw new PeerIdentificationException("the peer process handle was closed");
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      kernel32.CloseHandle(handle);
    }
  }
}
