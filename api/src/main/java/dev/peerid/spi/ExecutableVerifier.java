package dev.peerid.spi;

import dev.peerid.SignatureFormat;
import java.io.IOException;

/**
 * Checks one signature format on a file. Found by {@link java.util.ServiceLoader}; implementations
 * are pure Java where they can be, so they run on every OS.
 *
 * <p>{@link #verify} never throws for bad input: a malformed signature is an INVALID result with a
 * reason. {@link IOException} means the file itself could not be read.
 */
public interface ExecutableVerifier {

  SignatureFormat format();

  /**
   * True when the file's first bytes (up to 4096, fewer for short files) look like this format.
   * A verifier that can apply to any file (IMA) returns true and a high {@link #priority()}.
   */
  boolean recognizes(byte[] head);

  /** Lower is consulted first. Format-specific verifiers: 0; catch-all verifiers: 100. */
  default int priority() {
    return 0;
  }

  VerifiedExecutable verify(ExecutableFile file, VerificationContext context) throws IOException;
}
