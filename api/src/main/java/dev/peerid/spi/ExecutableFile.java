package dev.peerid.spi;

import java.util.Objects;
import java.nio.file.Path;

/**
 * An executable to verify.
 *
 * @param content where to read the bytes and extended attributes from: for a running process the
 *                magic link to the running inode (Linux {@code /proc/<pid>/exe}), never a path that
 *                could have been replaced
 * @param path    the path the file is known by, for reports and for side files such as an evmctl
 *                {@code .sig} sidecar (a signature authenticates itself against the content, so where
 *                it is found does not weaken it)
 */
public record ExecutableFile(Path content, String path) {
  public ExecutableFile {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(path, "path");
  }

  public static ExecutableFile of(Path file) {
    return new ExecutableFile(file, file.toString());
  }
}
