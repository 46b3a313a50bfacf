package dev.peerid.linux;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Finds the entries of a NUL-separated environment block that start with given prefixes, while
 * streaming it: a huge environment costs bounded memory, and an entry is dropped as soon as its
 * first bytes rule every prefix out, after which the scan only looks for the next NUL. A matching
 * entry longer than the limit is cut at the limit (the kernel caps one entry at MAX_ARG_STRLEN
 * anyway) but still reported. Feed it the block in chunks of any size, then {@link #finish()}.
 */
final class EnvironScanner {
  private static final byte[] NONE = new byte[0];
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[][] wanted;
  private final int longestPrefix;
  private final int maxEntry;
  /** The bytes some prefix starts with: an entry starting otherwise is skipped without a copy. */
  private final boolean[] firstBytes = new boolean[256];
  private final boolean emptyPrefix;
  private final Consumer<String> matches;
  private byte[] entry = NONE;
  private int length;
  private boolean skipping;

  /** @param wanted the prefixes, as bytes (UTF-8) */
  EnvironScanner(byte[][] wanted, int maxEntry, Consumer<String> matches) {
    this.wanted = wanted;
    this.maxEntry = maxEntry;
    this.matches = matches;
    int longest = 0;
    boolean empty = false;
    for (byte[] w : wanted) {
      longest = Math.max(longest, w.length);
      if (w.length == 0) {
        empty = true;
      } else {
        firstBytes[w[0] & 0xff] = true;
      }
    }
    this.emptyPrefix = empty;
    this.longestPrefix = longest;
  }

  static byte[][] prefixes(List<String> prefixes) {
    byte[][] out = new byte[prefixes.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = prefixes.get(i).getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  static void scan(InputStream in, int maxEntry, List<String> prefixes, Consumer<String> matches) throws IOException {
    EnvironScanner scanner = new EnvironScanner(prefixes(prefixes), maxEntry, matches);
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      scanner.feed(buf, 0, n);
    }
    scanner.finish();
  }

  /** The next bytes of the block. */
  void feed(byte[] buf, int offset, int count) {
    int i = offset;
    int end = offset + count;
    while (i < end) {
      if (skipping) {
        i = nextNul(buf, i, end);
        if (i == end) {
          return;
        }
        skipping = false; // at the NUL that ends the skipped entry
        i++;
        continue;
      }
      byte b = buf[i++];
      if (b == 0) {
        endEntry();
        continue;
      }
      if (length == 0 && !emptyPrefix && !firstBytes[b & 0xff]) {
        skipping = true; // most entries: ruled out by their first byte
        continue;
      }
      if (length < maxEntry) {
        if (length == entry.length) {
          entry = Arrays.copyOf(entry, Math.min(maxEntry, Math.max(64, entry.length * 2)));
        }
        entry[length++] = b;
      }
      // past the longest prefix an entry still here already starts with one
      if (length <= longestPrefix && !couldMatch()) {
        skipping = true;
        length = 0;
      }
    }
  }

  /**
   * The index of the first NUL in buf[from, to), or {@code to}. Eight bytes at a time: most of an
   * environment is skipped here.
   */
  static int nextNul(byte[] buf, int from, int to) {
    int i = from;
    while (i + 8 <= to) {
      long v = (long) LONGS.get(buf, i);
      if (((v - 0x0101010101010101L) & ~v & 0x8080808080808080L) != 0) {
        break; // a zero byte in these eight (the test has no false negatives; the loop below finds it)
      }
      i += 8;
    }
    while (i < to && buf[i] != 0) {
      i++;
    }
    return i;
  }

  /** The end of the block: the last entry needs no NUL. */
  void finish() {
    if (!skipping) {
      endEntry();
    }
    skipping = false;
    length = 0;
  }

  private void endEntry() {
    if (length > 0 && startsWithAny()) {
      matches.accept(new String(entry, 0, length, StandardCharsets.UTF_8));
    }
    length = 0;
  }

  /** True while the bytes so far agree with some prefix (or already contain one). */
  private boolean couldMatch() {
    for (byte[] w : wanted) {
      int common = Math.min(length, w.length);
      if (Arrays.equals(entry, 0, common, w, 0, common)) {
        return true;
      }
    }
    return false;
  }

  private boolean startsWithAny() {
    for (byte[] w : wanted) {
      if (length >= w.length && Arrays.equals(entry, 0, w.length, w, 0, w.length)) {
        return true;
      }
    }
    return false;
  }
}
