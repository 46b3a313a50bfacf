package dev.peerid.linux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a NUL-separated environment block into entries while streaming it, so that a process
 * with a huge environment costs bounded memory. Entries longer than the limit are truncated (the
 * kernel caps one entry at MAX_ARG_STRLEN anyway) but still reported, so a long LD_PRELOAD is seen.
 */
final class EnvironScanner {
  private EnvironScanner() {}

  static void scan(InputStream in, int maxEntry, Consumer<String> entries) throws IOException {
    byte[] buf = new byte[8192];
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    int n;
    while ((n = in.read(buf)) > 0) {
      int start = 0;
      for (int i = 0; i < n; i++) {
        if (buf[i] == 0) {
          append(entry, buf, start, i - start, maxEntry);
          entries.accept(entry.toString(StandardCharsets.UTF_8));
          entry.reset();
          start = i + 1;
        }
      }
      append(entry, buf, start, n - start, maxEntry);
    }
    if (entry.size() > 0) {
      entries.accept(entry.toString(StandardCharsets.UTF_8));
    }
  }

  private static void append(ByteArrayOutputStream entry, byte[] buf, int off, int len, int max) {
    int room = max - entry.size();
    if (room > 0) {
      entry.write(buf, off, Math.min(room, len));
    }
  }
}
