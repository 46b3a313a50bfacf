package dev.peerid.spi;

import dev.peerid.TrustStore;
import java.util.Objects;

/**
 * What an {@link ExecutableVerifier} needs besides the file.
 *
 * @param trust         whom to trust and whom not
 * @param maxFileSize   files larger than this are not hashed: the result is INVALID with a reason
 * @param needSha256    also compute the SHA-256 of the whole file (the policy asks for it)
 */
public record VerificationContext(TrustStore trust, long maxFileSize, boolean needSha256) {
  /** Default size limit for hashing: 4 GiB. */
  public static final long DEFAULT_MAX_FILE_SIZE = 4L << 30;

  public VerificationContext {
    Objects.requireNonNull(trust, "trust");
    if (maxFileSize <= 0) {
      throw new IllegalArgumentException("maxFileSize must be > 0");
    }
  }

  public static VerificationContext of(TrustStore trust) {
    return new VerificationContext(trust, DEFAULT_MAX_FILE_SIZE, false);
  }
}
