package dev.peerid.windows.authenticode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Byte-level edits of PE files for tamper tests. */
final class PeBytes {
  private PeBytes() {}

  static byte[] read(Path p) throws IOException {
    return Files.readAllBytes(p);
  }

  static Path write(Path p, byte[] b) throws IOException {
    return Files.write(p, b);
  }

  static PeImage image(byte[] b) throws PeFormatException {
    return PeImage.parse(b);
  }

  static int u32(byte[] b, long off) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt((int) off);
  }

  static void putU32(byte[] b, long off, long v) {
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) off, (int) v);
  }

  static int indexOf(byte[] b, String ascii) {
    byte[] needle = ascii.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + needle.length <= b.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found: " + ascii);
  }

  /** Sets the certificate-table directory size. */
  static void setTableSize(byte[] b, long size) throws PeFormatException {
    putU32(b, image(b).certificateDirectoryOffset() + 4, size);
  }

  /** The certificate table's bytes. */
  static byte[] table(byte[] b) throws PeFormatException {
    PeImage img = image(b);
    int off = (int) img.certificateTableOffset();
    return Arrays.copyOfRange(b, off, off + (int) img.certificateTableSize());
  }

  static byte[] concat(byte[] a, byte[] c) {
    byte[] out = Arrays.copyOf(a, a.length + c.length);
    System.arraycopy(c, 0, out, a.length, c.length);
    return out;
  }
}
