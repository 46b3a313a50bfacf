package dev.peerid.macos;

import dev.peerid.CodeSignature;
import dev.peerid.ExecutableInfo;
import dev.peerid.Interpreters;
import dev.peerid.PeerIdentificationException;
import dev.peerid.ProcessInfo;
import dev.peerid.RiskFacts;
import dev.peerid.SignatureFormat;
import dev.peerid.spi.PeerProcess;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.util.Optional;

/**
 * A peer pinned by its audit token (or, for a bare pid, by its start time). Nothing is held open:
 * the token names one exec of one process, and it is read again after every check to make sure it
 * still names it (an exec after connect, or a socket handed to another process, changes it).
 */
final class MacPeerProcess implements PeerProcess {
  /** Re-reads what pins the process and fails when it names another process or exec. */
  interface Pin {
    void confirm() throws PeerIdentificationException;
  }

  private final ProcessInfo process;
  private final ExecutableInfo executable;
  private final SecCodeCheck codeCheck;
  private final CodeGuest guest;
  private final String requirement;
  private final RiskFacts risks;
  private final Pin pin;

  MacPeerProcess(ProcessInfo process, ExecutableInfo executable, SecCodeCheck codeCheck, CodeGuest guest,
      String requirement, RiskFacts risks, Pin pin) {
    this.process = process;
    this.executable = executable;
    this.codeCheck = codeCheck;
    this.guest = guest;
    this.requirement = requirement;
    this.risks = risks;
    this.pin = pin;
  }

  @Override
  public ProcessInfo process() {
    return process;
  }

  @Override
  public ExecutableInfo executable() {
    return executable;
  }

  @Override
  public RiskFacts risks() {
    return risks;
  }

  @Override
  public VerifiedExecutable verifyExecutable(VerificationContext context) {
    CodeSignature signature = codeCheck.check(guest, requirement, context.trust());
    try {
      confirmUnchanged();
    } catch (PeerIdentificationException e) {
      signature = CodeSignature.invalid(SignatureFormat.MACHO, e.getMessage());
    }
    return new VerifiedExecutable(signature, Interpreters.byPath(executable.path()), Optional.empty());
  }

  @Override
  public void confirmUnchanged() throws PeerIdentificationException {
    pin.confirm();
  }

  @Override
  public void close() {
    // neither an audit token nor a start time holds a kernel resource
  }
}
