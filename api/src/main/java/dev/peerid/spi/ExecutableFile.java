package dev.peerid.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An executable to verify.
 *
 * @param content where to read the bytes and extended attributes from: for a running process the
 *                magic link to the running inode (Linux {@code /proc/<pid>/exe}), never a path that
 *                could have been replaced
 * @param path    the path the file is known by, for reports and for side files such as an evmctl
 *                {@code .sig} sidecar (a signature authenticates itself against the content, so where
 *                it is found does not weaken it)
 * @param pathNamesContent whether {@code path}, where the server looks it up, names the content's
 *                very file; when it does not (a peer in a mount namespace or root of its own, a
 *                deleted file), verifiers look up no side file next to it: that place is not the
 *                file's, and its bytes could be anything, of any size or type
 */
public record ExecutableFile(Path content, String path, boolean pathNamesContent) {
  public ExecutableFile {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(path, "path");
  }

  /** A file known by a path that names it. */
  public ExecutableFile(Path content, String path) {
    this(content, path, true);
  }

  public static ExecutableFile of(Path file) {
    return new ExecutableFile(file, file.toString());
  }
}
