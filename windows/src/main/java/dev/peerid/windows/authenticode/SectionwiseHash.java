package dev.peerid.windows.authenticode;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The image hash as the PE/COFF specification's Authenticode procedure states it, and as UEFI
 * firmware (EDK2's {@code DxeImageVerificationLib} {@code HashPeImage}), shim and sbverify compute
 * it: the headers up to SizeOfHeaders (without the CheckSum and the certificate-table entry), each
 * section's raw data by file offset, then {@code FileSize - SUM_OF_BYTES_HASHED - CertificateTableSize}
 * bytes starting at offset SUM_OF_BYTES_HASHED (a count, not a position: this is how they do it).
 *
 * <p>It differs from the whole-file hash only when the file has bytes between the headers and the
 * sections, or between sections: those are left out. The loader does not map them, but a verifier
 * that accepts such a hash must not let them carry anything, so {@link Result#gapsAreZero()} tells
 * whether every byte left out before the certificate table is zero.
 *
 * <p>Only well-formed layouts are hashed (at most 96 sections, as the Windows loader allows, none
 * overlapping another or the headers, all before the certificate table), which bounds the work to
 * about twice the file's size.
 */
final class SectionwiseHash {
  static final int MAX_SECTIONS = 96;
  private static final int CHUNK = 1 << 16;

  private SectionwiseHash() {}

  /** The digest, and what it leaves out before the certificate table. */
  record Result(byte[] digest, List<long[]> gaps, long gapBytes, boolean gapsAreZero) {
    String describeGaps() {
      List<String> parts = new ArrayList<>();
      for (long[] g : gaps) {
        parts.add(g[0] + ".." + g[1]);
      }
      return gapBytes + (gapBytes == 1 ? " byte" : " bytes") + " at " + String.join(", ", parts);
    }
  }

  /** The section-wise digest with {@code algorithm}, or empty when the layout is not one it applies to. */
  static Optional<Result> compute(FileChannel channel, PeImage image, String algorithm) throws IOException {
    if (!image.hasCertificateTable() || !image.hasCertificateDirectory()) {
      return Optional.empty();
    }
    long cks = image.checksumOffset();
    long dd = image.certificateDirectoryOffset();
    long headers = image.sizeOfHeaders();
    long certOff = image.certificateTableOffset();
    long certEnd = certOff + image.certificateTableSize();
    List<long[]> sections = image.sectionRawData();
    if (headers < dd + 8 || headers > certOff || sections.size() > MAX_SECTIONS || certEnd != image.fileSize()) {
      return Optional.empty();
    }
    long previousEnd = headers;
    for (long[] s : sections) {
      if (s[0] < previousEnd || s[0] + s[1] > certOff) {
        return Optional.empty();
      }
      previousEnd = s[0] + s[1];
    }
    MessageDigest md = ImageHasher.newDigest(algorithm);
    update(channel, md, 0, cks);
    update(channel, md, cks + 4, dd);
    update(channel, md, dd + 8, headers);
    long sum = headers;
    for (long[] s : sections) {
      update(channel, md, s[0], s[0] + s[1]);
      sum += s[1];
    }
    long extraEnd = image.fileSize() - image.certificateTableSize();
    // every range hashed, as [from, to)
    List<long[]> covered = new ArrayList<>();
    covered.add(new long[] {0, headers});
    for (long[] section : sections) {
      covered.add(new long[] {section[0], section[0] + section[1]});
    }
    if (extraEnd > sum) {
      update(channel, md, sum, extraEnd);
      covered.add(new long[] {sum, extraEnd});
    }
    covered.sort((a, b) -> Long.compare(a[0], b[0]));
    List<long[]> gaps = new ArrayList<>();
    long position = 0;
    for (long[] c : covered) {
      if (c[0] > position) {
        gaps.add(new long[] {position, c[0]});
      }
      position = Math.max(position, c[1]);
    }
    if (position < certOff) {
      gaps.add(new long[] {position, certOff});
    }
    long gapBytes = 0;
    boolean zero = true;
    for (long[] g : gaps) {
      gapBytes += g[1] - g[0];
      zero &= allZero(channel, g[0], g[1]);
    }
    return Optional.of(new Result(md.digest(), List.copyOf(gaps), gapBytes, zero));
  }

  private static void update(FileChannel channel, MessageDigest md, long from, long to) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    for (long pos = from; pos < to; ) {
      buffer.clear().limit((int) Math.min(CHUNK, to - pos));
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new EOFException("file shrank while it was hashed (at " + pos + ")");
      }
      md.update(buffer.array(), 0, n);
      pos += n;
    }
  }

  private static boolean allZero(FileChannel channel, long from, long to) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    for (long pos = from; pos < to; ) {
      buffer.clear().limit((int) Math.min(CHUNK, to - pos));
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new EOFException("file shrank while it was read (at " + pos + ")");
      }
      for (int i = 0; i < n; i++) {
        if (buffer.get(i) != 0) {
          return false;
        }
      }
      pos += n;
    }
    return true;
  }
}
