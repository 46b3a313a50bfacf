package dev.peerid.linux.ima;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Extended attributes of a file: the one native boundary of this package, so tests can replace it. */
interface Xattrs {
  /**
   * The value of {@code name} on {@code file} (following symbolic and {@code /proc} magic links),
   * or empty when the file has no such attribute or its file system keeps none.
   */
  Optional<byte[]> get(Path file, String name) throws IOException;

  /** Sets {@code name} on {@code file} to {@code value}, replacing any value it had. */
  void set(Path file, String name, byte[] value) throws IOException;

  /** The system's extended attributes (libc through JNA). */
  static Xattrs system() {
    return LibcXattrs.INSTANCE;
  }
}
