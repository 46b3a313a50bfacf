package dev.peerid.linux.ima;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** The libc calls this package makes: its one native boundary, so tests can replace it. */
interface NativeFiles {
  /**
   * The value of {@code name} on {@code file} (following symbolic and {@code /proc} magic links),
   * or empty when the file has no such attribute or its file system keeps none.
   */
  Optional<byte[]> get(Path file, String name) throws IOException;

  /** Sets {@code name} on {@code file} to {@code value}, replacing any value it had. */
  void set(Path file, String name, byte[] value) throws IOException;

  /**
   * Up to {@code max} bytes of {@code file}, opened non-blocking so that a FIFO or device swapped
   * in for a sidecar cannot make the caller wait; empty when the file does not exist.
   */
  Optional<byte[]> readSmall(Path file, int max) throws IOException;

  /** The system's (libc through JNA). */
  static NativeFiles system() {
    return LibcNativeFiles.INSTANCE;
  }
}
