package dev.peerid.linux.ima;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Hashes a whole file in one streaming pass, feeding every digest from the same buffer. Memory use
 * is one buffer whatever the file's size. No memory mapping: a file truncated while mapped would
 * fault the JVM.
 */
final class FileHasher {
  /** Large enough to amortise the read calls, small enough to stay in the CPU's L2 cache. */
  static final int BUFFER_SIZE = 256 * 1024;

  /** The file is larger than the limit; nothing was hashed to the end. */
  static final class TooLargeException extends Exception {
    private static final long serialVersionUID = 1L;
    final long size;

    TooLargeException(long size) {
      super(null, null, false, false);
      this.size = size;
    }
  }

  private FileHasher() {}

  /**
   * Feeds the whole of {@code file} to every digest and returns the number of bytes read.
   *
   * @throws TooLargeException when the file is, or grows while being read to, more than
   *                           {@code maxSize} bytes
   */
  static long hash(Path file, long maxSize, MessageDigest... digests) throws IOException, TooLargeException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      if (size > maxSize) {
        throw new TooLargeException(size);
      }
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
      byte[] array = buffer.array();
      long total = 0;
      int n;
      while ((n = channel.read(buffer.clear())) >= 0) {
        total += n;
        if (total > maxSize) {
          throw new TooLargeException(total);
        }
        for (MessageDigest d : digests) {
          d.update(array, 0, n);
        }
      }
      return total;
    }
  }
}
