package dev.peerid.windows.authenticode;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positioned reads from a file or an array, so the parser runs the same on both (tests, fuzzing). */
interface ByteSource {

  long size() throws IOException;

  /** Fills {@code dst} from {@code position}; throws {@link EOFException} when the source is shorter. */
  void readFully(long position, byte[] dst) throws IOException;

  static ByteSource of(byte[] bytes) {
    return new ByteSource() {
      @Override
      public long size() {
        return bytes.length;
      }

      @Override
      public void readFully(long position, byte[] dst) throws IOException {
        if (position < 0 || position + dst.length > bytes.length) {
          throw new EOFException("read past the end at " + position);
        }
        System.arraycopy(bytes, (int) position, dst, 0, dst.length);
      }
    };
  }

  static ByteSource of(FileChannel channel) {
    return new ByteSource() {
      @Override
      public long size() throws IOException {
        return channel.size();
      }

      @Override
      public void readFully(long position, byte[] dst) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst);
        long pos = position;
        while (buf.hasRemaining()) {
          int n = channel.read(buf, pos);
          if (n < 0) {
            throw new EOFException("read past the end at " + pos);
          }
          pos += n;
        }
      }
    };
  }
}
