package dev.peerid;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Facts about the peer process. A field a platform cannot supply holds its documented "not
 * available" value: {@link #UNKNOWN} for numbers, empty for optionals and lists.
 *
 * @param pid        process id
 * @param uid        effective user id, as captured by the kernel for the connection
 * @param gid        effective group id
 * @param groups     supplementary group ids (empty when unknown)
 * @param userName   name of {@code uid}, where it resolves
 * @param groupName  name of {@code gid}, where it resolves
 * @param raceToken  what pins this process against pid reuse: {@code "pidfd"},
 *                   {@code "starttime:<ticks>"}, {@code "audit-token:pidversion=<n>"},
 *                   {@code "handle:creation=<t>"}, or {@code "none"}
 * @param racy       true when the identity came from a bare pid, not from a connection: the pid
 *                   could have been reused between the caller's lookup and ours
 */
public record ProcessInfo(
    long pid,
    long uid,
    long gid,
    List<Long> groups,
    Optional<String> userName,
    Optional<String> groupName,
    String raceToken,
    boolean racy) {

  /** The value of a numeric field the platform cannot supply. */
  public static final long UNKNOWN = -1;

  public ProcessInfo {
    groups = List.copyOf(groups);
    Objects.requireNonNull(userName, "userName");
    Objects.requireNonNull(groupName, "groupName");
    Objects.requireNonNull(raceToken, "raceToken");
  }
}
