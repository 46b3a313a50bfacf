package dev.peerid;

import java.util.Objects;
import java.util.Optional;

/**
 * The executable a process runs, as the operating system reports it.
 *
 * @param path     the path the kernel reports (may end in " (deleted)" on Linux, or no longer
 *                 name the same file: the content is always read from the running inode)
 * @param identity the file identity used as cache key
 * @param sha256   SHA-256 of the whole file, when it was computed (the policy asked for it)
 */
public record ExecutableInfo(String path, FileIdentity identity, Optional<Digest> sha256) {
  public ExecutableInfo {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(sha256, "sha256");
  }

  public ExecutableInfo(String path, FileIdentity identity) {
    this(path, identity, Optional.empty());
  }

  public long size() {
    return identity.size();
  }

  public ExecutableInfo withSha256(Optional<Digest> sha256) {
    return new ExecutableInfo(path, identity, sha256);
  }
}
