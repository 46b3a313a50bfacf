package dev.peerid;

import java.util.Objects;
import java.util.Optional;

/**
 * Who is on the other end: the platform, the process (absent when a file was verified on its
 * own), the executable it runs, that executable's code signature, and the risk facts.
 * Immutable.
 */
public final class PeerIdentity {
  private final Platform platform;
  private final ProcessInfo process;
  private final ExecutableInfo executable;
  private final CodeSignature signature;
  private final RiskFacts risks;

  private PeerIdentity(Platform platform, ProcessInfo process, ExecutableInfo executable,
      CodeSignature signature, RiskFacts risks) {
    this.platform = Objects.requireNonNull(platform, "platform");
    this.process = process;
    this.executable = Objects.requireNonNull(executable, "executable");
    this.signature = Objects.requireNonNull(signature, "signature");
    this.risks = Objects.requireNonNull(risks, "risks");
  }

  /** The identity of a running process. */
  public static PeerIdentity ofProcess(Platform platform, ProcessInfo process, ExecutableInfo executable,
      CodeSignature signature, RiskFacts risks) {
    return new PeerIdentity(platform, Objects.requireNonNull(process, "process"), executable, signature, risks);
  }

  /** The identity of a file checked on its own (no process). */
  public static PeerIdentity ofFile(Platform platform, ExecutableInfo executable, CodeSignature signature,
      RiskFacts risks) {
    return new PeerIdentity(platform, null, executable, signature, risks);
  }

  public Platform platform() {
    return platform;
  }

  public Optional<ProcessInfo> process() {
    return Optional.ofNullable(process);
  }

  public ExecutableInfo executable() {
    return executable;
  }

  public CodeSignature signature() {
    return signature;
  }

  public RiskFacts risks() {
    return risks;
  }

  /** The same identity with another signature: e.g. one slice of a universal file judged on its own. */
  public PeerIdentity withSignature(CodeSignature other) {
    return new PeerIdentity(platform, process, executable, other, risks);
  }

  @Override
  public String toString() {
    return "PeerIdentity{" + platform.id() + (process == null ? "" : " pid=" + process.pid() + " uid=" + process.uid())
        + " exe=" + executable.path() + " " + signature + "}";
  }
}
