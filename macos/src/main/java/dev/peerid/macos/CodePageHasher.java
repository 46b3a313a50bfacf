package dev.peerid.macos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Hashes a slice's code pages once, for every CodeDirectory at the same time, and compares each
 * page with the CodeDirectory's slot. Works through fixed-size windows (memory-mapped for files,
 * which saves two copies per byte against read()): memory stays bounded whatever the file's size.
 */
final class CodePageHasher {
  /** A multiple of every supported page size (at most 2^20). */
  static final int CHUNK = 16 << 20;

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
    try {
      return hash(source, slice, directories, end);
    } catch (MachOFormatException e) {
      return Optional.of("the signed code cannot be read: " + e.getMessage());
    } catch (RuntimeException | InternalError e) {
      // a mapped file that shrinks under us faults on access (the JDK raises an unspecified error)
      return Optional.of("the file changed while its code pages were read (" + e + ")");
    }
  }

  private static Optional<String> hash(ByteSource source, MachOSlice slice, List<CodeDirectory> directories, long end)
      throws IOException, MachOFormatException {
    int n = directories.size();
    MessageDigest[] digests = new MessageDigest[n];
    long[] pageStart = new long[n];
    int[] pageIndex = new int[n];
    for (int i = 0; i < n; i++) {
      digests[i] = directories.get(i).hashType.newDigest();
    }
    long position = 0;
    while (position < end) {
      int length = (int) Math.min(CHUNK, end - position);
      ByteBuffer window = source.window(slice.offset() + position, length);
      for (int i = 0; i < n; i++) {
        CodeDirectory cd = directories.get(i);
        long limit = Math.min(cd.codeLimit, position + length);
        long page = cd.pageShift == 0 ? cd.codeLimit : 1L << cd.pageShift;
        long at = position;
        while (at < limit) {
          long pageEnd = Math.min(pageStart[i] + page, cd.codeLimit);
          int take = (int) (Math.min(pageEnd, limit) - at);
          int from = (int) (at - position);
          window.limit(from + take).position(from);
          digests[i].update(window);
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
        window.clear();
      }
      position += length;
    }
    return Optional.empty();
  }
}
