package dev.peerid.spi;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import java.util.Objects;
import java.util.Optional;

/**
 * What is known about an executable file once it has been read: its signature, whether it is an
 * interpreter, and (when asked for) the SHA-256 of the whole file. Cached by file identity.
 *
 * @param signature   the signature check's outcome
 * @param interpreter the interpreter this file is (e.g. {@code python3}), if it is one
 * @param sha256      SHA-256 over the whole file, when it was computed
 */
public record VerifiedExecutable(CodeSignature signature, Optional<String> interpreter, Optional<Digest> sha256) {
  public VerifiedExecutable {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(interpreter, "interpreter");
    Objects.requireNonNull(sha256, "sha256");
  }

  public static VerifiedExecutable of(CodeSignature signature) {
    return new VerifiedExecutable(signature, Optional.empty(), Optional.empty());
  }
}
