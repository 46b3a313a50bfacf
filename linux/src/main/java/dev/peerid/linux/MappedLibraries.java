package dev.peerid.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds code mapped into a peer that the peer's user could have put there: executable file
 * mappings (from {@code /proc/<pid>/maps}) of libraries that are not owned by root, are writable
 * by group or others, sit in a directory like that, or no longer exist under their name (deleted,
 * memfd). That catches what no environment variable shows: a preloaded library that erased
 * {@code LD_PRELOAD} from its environment, or a copied client loading a library through
 * {@code $ORIGIN}. It misses code loaded after the check ({@code dlopen} later) and code written
 * into anonymous memory.
 *
 * <p>Costs a read of {@code maps} per peer (≈ 40 µs of kernel time for curl's 200 mappings); a library found
 * trustworthy is remembered by path and inode (only root can change a root-owned file that nobody
 * else may write, in directories nobody else may write).
 */
final class MappedLibraries {
  private static final int MAX_MAPS_BYTES = 4 << 20;
  private static final int MAX_REMEMBERED = 8192;

  private final Map<String, Long> trusted = new ConcurrentHashMap<>();

  /**
   * The suspicious libraries mapped executable into the process, as {@code "mapped:/path"} entries.
   *
   * @param maps    the text of {@code /proc/<pid>/maps}
   * @param exePath the process's executable (its own mapping is not a library)
   * @param exeInode its inode
   */
  List<String> untrusted(String maps, String exePath, long exeInode) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : maps.split("\n")) {
      String perms = MapsLine.perms(line, 0, line.length());
      if (perms == null || perms.charAt(2) != 'x') {
        continue; // most lines: not code, and not worth parsing further
      }
      MapsLine m = MapsLine.parse(line);
      if (m == null || m.inode() == 0 || !m.path().startsWith("/")) {
        continue;
      }
      if (m.inode() == exeInode && m.path().equals(exePath)) {
        continue;
      }
      if (!isTrusted(m.path(), m.inode())) {
        out.add("mapped:" + m.path());
      }
    }
    return new ArrayList<>(out);
  }

  /** Reads {@code maps} (bounded); a process mapping more than that is not looked at in full. */
  static String read(Path maps) throws IOException {
    byte[] b;
    try (var in = Files.newInputStream(maps)) {
      b = in.readNBytes(MAX_MAPS_BYTES + 1);
    }
    if (b.length > MAX_MAPS_BYTES) {
      throw new IOException(maps + " is larger than " + MAX_MAPS_BYTES + " bytes");
    }
    return new String(b, StandardCharsets.UTF_8);
  }

  private boolean isTrusted(String path, long inode) {
    Long known = trusted.get(path);
    if (known != null && known == inode) {
      return true;
    }
    if (path.endsWith(" (deleted)")) {
      return false;
    }
    try {
      Path file = Path.of(path);
      Map<String, Object> a = Files.readAttributes(file, "unix:uid,mode,ino", LinkOption.NOFOLLOW_LINKS);
      if (((Number) a.get("ino")).longValue() != inode || !rootOnly(a)) {
        return false;
      }
      for (Path dir = file.getParent(); dir != null; dir = dir.getParent()) {
        if (!rootOnly(Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS))) {
          return false;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false; // gone, renamed or unreadable: nothing vouches for it
    }
    if (trusted.size() >= MAX_REMEMBERED) {
      trusted.clear();
    }
    trusted.put(path, inode);
    return true;
  }

  /** Owned by root, and neither group nor others may write it. */
  private static boolean rootOnly(Map<String, Object> attributes) {
    int mode = ((Number) attributes.get("mode")).intValue();
    return ((Number) attributes.get("uid")).intValue() == 0 && (mode & 0022) == 0;
  }
}
