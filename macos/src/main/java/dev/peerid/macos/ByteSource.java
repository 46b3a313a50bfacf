package dev.peerid.macos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/** Positional, bounds-checked reads from a file or a byte array; nothing is read past its end. */
interface ByteSource {

  long size();

  /** Reads exactly {@code length} bytes at {@code position}, or fails when they are not all there. */
  byte[] read(long position, int length) throws IOException, MachOFormatException;

  /**
   * Reads up to {@code buffer.remaining()} bytes at {@code position} into {@code buffer}; returns
   * how many were read, -1 at the end.
   */
  int readInto(long position, ByteBuffer buffer) throws IOException;

  static ByteSource of(byte[] bytes) {
    return new ArraySource(bytes);
  }

  static ByteSource of(FileChannel channel) throws IOException {
    return new ChannelSource(channel, channel.size());
  }

  /** Checks that [position, position+length) lies inside [0, size). */
  static void checkRange(long position, long length, long size, String what) throws MachOFormatException {
    if (position < 0 || length < 0 || position > size || length > size - position) {
      throw new MachOFormatException(what + " [" + position + ", +" + length + ") is outside the " + size
          + " bytes available");
    }
  }

  final class ArraySource implements ByteSource {
    private final byte[] bytes;

    ArraySource(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public byte[] read(long position, int length) throws MachOFormatException {
      checkRange(position, length, bytes.length, "read");
      return Arrays.copyOfRange(bytes, (int) position, (int) position + length);
    }

    @Override
    public int readInto(long position, ByteBuffer buffer) {
      if (position >= bytes.length) {
        return -1;
      }
      int n = (int) Math.min(buffer.remaining(), bytes.length - position);
      buffer.put(bytes, (int) position, n);
      return n;
    }
  }

  final class ChannelSource implements ByteSource {
    private final FileChannel channel;
    private final long size;

    ChannelSource(FileChannel channel, long size) {
      this.channel = channel;
      this.size = size;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public byte[] read(long position, int length) throws IOException, MachOFormatException {
      checkRange(position, length, size, "read");
      ByteBuffer buffer = ByteBuffer.allocate(length);
      long p = position;
      while (buffer.hasRemaining()) {
        int n = channel.read(buffer, p);
        if (n < 0) {
          throw new MachOFormatException("file ended at " + p + " while reading " + length + " bytes at " + position);
        }
        p += n;
      }
      return buffer.array();
    }

    @Override
    public int readInto(long position, ByteBuffer buffer) throws IOException {
      if (position >= size) {
        return -1;
      }
      return channel.read(buffer, position);
    }
  }
}
