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
 * A peer pinned by its audit token. Nothing is held open: the token names one exec of one process,
 * and the socket's token is read again after every check to make sure it still names it (an exec
 * after connect, or a socket handed to another process, changes it).
 */
final class MacPeerProcess implements PeerProcess {
  private final PeerSocket socket;
  private final AuditToken token;
  private final ProcessInfo process;
  private final ExecutableInfo executable;
  private final SecCodeCheck codeCheck;
  private final String requirement;
  private final RiskFacts risks;

  MacPeerProcess(PeerSocket socket, AuditToken token, ProcessInfo process, ExecutableInfo executable,
      SecCodeCheck codeCheck, String requirement, RiskFacts risks) {
    this.risks = risks;
    this.socket = socket;
    this.token = token;
    this.process = process;
    this.executable = executable;
    this.codeCheck = codeCheck;
    this.requirement = requirement;
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
    CodeSignature signature = codeCheck.check(token, requirement, context.trust());
    try {
      confirmUnchanged();
    } catch (PeerIdentificationException e) {
      signature = CodeSignature.invalid(SignatureFormat.MACHO, e.getMessage());
    }
    return new VerifiedExecutable(signature, Interpreters.byPath(executable.path()), Optional.empty());
  }

  @Override
  public void confirmUnchanged() throws PeerIdentificationException {
    AuditToken now = socket.token();
    if (!now.sameProcess(token)) {
      throw new PeerIdentificationException("the peer changed during the check: pid " + token.pid() + " pidversion "
          + token.pidVersion() + " became pid " + now.pid() + " pidversion " + now.pidVersion()
          + " (an exec after connect, or the socket handed to another process)");
    }
  }

  @Override
  public void close() {
    // an audit token holds no kernel resource
  }
}
