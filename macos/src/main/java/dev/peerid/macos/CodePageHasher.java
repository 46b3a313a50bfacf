package dev.peerid.macos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Hashes a slice's code pages once, for every CodeDirectory at the same time, and compares each
 * page with the CodeDirectory's slot. Reads fixed-size chunks into a direct buffer (one copy out
 * of the kernel, none through a heap array): memory stays bounded whatever the file's size.
 *
 * <p>Not memory-mapped on purpose: a mapped file that an attacker truncates faults, and the JDK
 * reports that fault asynchronously, possibly after the code that could catch it has returned.
 */
final class CodePageHasher {
  /** A multiple of every supported page size (at most 2^20). */
  static final int CHUNK = 1 << 20;

  private CodePageHasher() {}

  /**
   * Returns the first mismatch, in words, or empty when every page of every CodeDirectory matches.
   */
  static Optional<String> check(ByteSource source, MachOSlice slice, List<CodeDirectory> directories)
      throws IOException {
    long end = 0;
    for (CodeDirectory cd : directories) {
      if (cd.codeLimit > slice.size()) {
        return Optional.of(cd.hashType.label + " CodeDirectory covers " + cd.codeLimit
            + " bytes but the slice has only " + slice.size());
      }
      end = Math.max(end, cd.codeLimit);
    }
    int n = directories.size();
    MessageDigest[] digests = new MessageDigest[n];
    long[] pageStart = new long[n];
    int[] pageIndex = new int[n];
    for (int i = 0; i < n; i++) {
      digests[i] = directories.get(i).hashType.newDigest();
    }
    ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(end, 1)));
    long position = 0;
    while (position < end) {
      buffer.clear();
      buffer.limit((int) Math.min(buffer.capacity(), end - position));
      while (buffer.hasRemaining()) {
        int r = source.readInto(slice.offset() + position + buffer.position(), buffer);
        if (r < 0) {
          return Optional.of("the file ended at " + (position + buffer.position())
              + " inside the signed code (was it truncated while it was read?)");
        }
      }
      int length = buffer.position();
      for (int i = 0; i < n; i++) {
        CodeDirectory cd = directories.get(i);
        long limit = Math.min(cd.codeLimit, position + length);
        long page = cd.pageShift == 0 ? cd.codeLimit : 1L << cd.pageShift;
        long at = position;
        while (at < limit) {
          long pageEnd = Math.min(pageStart[i] + page, cd.codeLimit);
          int take = (int) (Math.min(pageEnd, limit) - at);
          int from = (int) (at - position);
          buffer.limit(from + take).position(from);
          digests[i].update(buffer);
          at += take;
          if (at == pageEnd) {
            byte[] computed = digests[i].digest();
            if (!cd.codeHashMatches(pageIndex[i], computed)) {
              return Optional.of("code page " + pageIndex[i] + " (bytes " + pageStart[i] + ".." + pageEnd
                  + ") does not match the " + cd.hashType.label + " CodeDirectory: the code was modified after signing");
            }
            pageIndex[i]++;
            pageStart[i] = pageEnd;
          }
        }
      }
      buffer.clear();
      position += length;
    }
    return Optional.empty();
  }
}
