package dev.peerid.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Finds the entries of a NUL-separated environment block that start with given prefixes, while
 * streaming it: a huge environment costs bounded memory, and entries that cannot match are
 * skipped byte by byte without being copied. A matching entry longer than the limit is cut at the
 * limit (the kernel caps one entry at MAX_ARG_STRLEN anyway) but still reported.
 */
final class EnvironScanner {
  private EnvironScanner() {}

  static void scan(InputStream in, int maxEntry, List<String> prefixes, Consumer<String> matches) throws IOException {
    byte[][] wanted = new byte[prefixes.size()][];
    for (int i = 0; i < wanted.length; i++) {
      wanted[i] = prefixes.get(i).getBytes(StandardCharsets.UTF_8);
    }
    byte[] buf = new byte[8192];
    byte[] entry = new byte[64];
    int length = 0;
    boolean skipping = false;
    int n;
    while ((n = in.read(buf)) > 0) {
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (b == 0) {
          if (!skipping && length > 0 && startsWithAny(entry, length, wanted)) {
            matches.accept(new String(entry, 0, length, StandardCharsets.UTF_8));
          }
          length = 0;
          skipping = false;
          continue;
        }
        if (skipping) {
          continue;
        }
        if (length < maxEntry) {
          if (length == entry.length) {
            entry = Arrays.copyOf(entry, Math.min(maxEntry, entry.length * 2));
          }
          entry[length++] = b;
        }
        if (!couldMatch(entry, length, wanted)) {
          skipping = true;
        }
      }
    }
    if (!skipping && length > 0 && startsWithAny(entry, length, wanted)) {
      matches.accept(new String(entry, 0, length, StandardCharsets.UTF_8));
    }
  }

  /** True while the bytes so far agree with some prefix (or already contain one). */
  private static boolean couldMatch(byte[] entry, int length, byte[][] wanted) {
    for (byte[] w : wanted) {
      int common = Math.min(length, w.length);
      if (Arrays.equals(entry, 0, common, w, 0, common)) {
        return true;
      }
    }
    return false;
  }

  private static boolean startsWithAny(byte[] entry, int length, byte[][] wanted) {
    for (byte[] w : wanted) {
      if (length >= w.length && Arrays.equals(entry, 0, w.length, w, 0, w.length)) {
        return true;
      }
    }
    return false;
  }
}
