package dev.peerid;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One timestamp found on a signature (an Authenticode RFC 3161 token or PKCS#9 countersignature),
 * and whether it counted. A timestamp counts only when it verifies, covers its signature, and its
 * signer has the time-stamping usage and chains, at the time it states, to a trusted timestamp
 * authority ({@link TrustStore.Builder#trustTimestampAuthority}); a publisher entry never vouches
 * for one. A timestamp that counted lets the signer's chain be judged at its time instead of now.
 *
 * @param signature which signature it belongs to (e.g. {@code signature 1}, {@code signature 1 nested 1})
 * @param kind      {@code rfc3161} or {@code pkcs9}
 * @param time      the time it states, when it could be read
 * @param authority the subject of the certificate that signed it, when it could be found
 * @param counted   whether the time was used
 * @param reason    why it did not count; empty when it did
 */
public record Timestamp(String signature, String kind, Optional<Instant> time, Optional<String> authority,
    boolean counted, Optional<String> reason) {

  public Timestamp {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(reason, "reason");
    if (counted && (time.isEmpty() || authority.isEmpty() || reason.isPresent())) {
      throw new IllegalArgumentException("a timestamp that counted has a time and an authority and no reason");
    }
    if (!counted && reason.isEmpty()) {
      throw new IllegalArgumentException("a timestamp that did not count needs a reason");
    }
  }

  /** A timestamp that counted. */
  public static Timestamp counted(String signature, String kind, Instant time, String authority) {
    return new Timestamp(signature, kind, Optional.of(time), Optional.of(authority), true, Optional.empty());
  }

  /** A timestamp that was ignored, with the reason. */
  public static Timestamp ignored(String signature, String kind, Optional<Instant> time, Optional<String> authority,
      String reason) {
    return new Timestamp(signature, kind, time, authority, false, Optional.of(reason));
  }
}
