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
 * @param pathNamesTheFile whether {@code path}, looked up by the server in its own namespaces,
 *                 names the very file the process runs (same device and inode). False for a
 *                 deleted or replaced file, and for a path that means another file where the server
 *                 looks (a peer in a mount namespace or root of its own): {@code path} predicates
 *                 do not hold then, and no side file is looked up next to it
 */
public record ExecutableInfo(String path, FileIdentity identity, Optional<Digest> sha256, boolean pathNamesTheFile) {
  public ExecutableInfo {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(sha256, "sha256");
  }

  /** A file whose path the server checked names it (a file verified on its own, or a platform's own path lookup). */
  public ExecutableInfo(String path, FileIdentity identity, Optional<Digest> sha256) {
    this(path, identity, sha256, true);
  }

  public ExecutableInfo(String path, FileIdentity identity) {
    this(path, identity, Optional.empty());
  }

  public long size() {
    return identity.size();
  }

  public ExecutableInfo withSha256(Optional<Digest> sha256) {
    return new ExecutableInfo(path, identity, sha256, pathNamesTheFile);
  }
}
