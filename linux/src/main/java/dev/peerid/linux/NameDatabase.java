package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Names for numeric ids from a colon-separated database ({@code /etc/passwd}, {@code /etc/group}:
 * {@code name:password:id:...}). Parsed again only when the file's identity changes. Only local
 * files are read: names served by NSS modules (LDAP, sssd) are not resolved. The file is checked
 * for changes at most once per {@code recheck} interval (a stat costs as much as the rest of a
 * cached peer lookup), so a renamed account shows up within a second.
 */
final class NameDatabase {
  /** Bigger than any sane local account file; a larger one is not parsed at all. */
  private static final int MAX_BYTES = 16 * 1024 * 1024;

  private static final long DEFAULT_RECHECK_NANOS = 1_000_000_000L;

  private final Path file;
  private final long recheckNanos;
  private volatile Snapshot snapshot = new Snapshot(null, Map.of(), 0);

  NameDatabase(Path file, long recheckNanos) {
    this.file = file;
    this.recheckNanos = recheckNanos;
  }

  static NameDatabase users() {
    return new NameDatabase(Path.of("/etc/passwd"), DEFAULT_RECHECK_NANOS);
  }

  static NameDatabase groups() {
    return new NameDatabase(Path.of("/etc/group"), DEFAULT_RECHECK_NANOS);
  }

  /** The name of this id, where the file lists it. */
  Optional<String> name(long id) {
    if (id < 0) {
      return Optional.empty();
    }
    return Optional.ofNullable(current().names.get(id));
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    long t = System.nanoTime();
    if (s.identity != null && t - s.checkedAt < recheckNanos) {
      return s;
    }
    FileIdentity now;
    try {
      now = FileIdentity.of(file);
    } catch (IOException | RuntimeException e) {
      return new Snapshot(null, Map.of(), t);
    }
    if (now.equals(s.identity)) {
      Snapshot same = new Snapshot(s.identity, s.names, t);
      snapshot = same;
      return same;
    }
    Snapshot fresh = new Snapshot(now, parse(), t);
    snapshot = fresh;
    return fresh;
  }

  private Map<Long, String> parse() {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (IOException e) {
      return Map.of();
    }
    if (bytes.length > MAX_BYTES) {
      return Map.of();
    }
    return parse(new String(bytes, StandardCharsets.UTF_8));
  }

  static Map<Long, String> parse(String text) {
    Map<Long, String> names = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#") || line.startsWith("+") || line.startsWith("-")) {
        continue;
      }
      String[] f = line.split(":", 4);
      if (f.length < 3 || f[0].isEmpty()) {
        continue;
      }
      try {
        long id = Long.parseLong(f[2].trim());
        if (id >= 0) {
          names.putIfAbsent(id, f[0]); // the first entry wins, as getpwuid() does
        }
      } catch (NumberFormatException e) {
        // a malformed line names nobody
      }
    }
    return Map.copyOf(names);
  }

  private record Snapshot(FileIdentity identity, Map<Long, String> names, long checkedAt) {}
}
