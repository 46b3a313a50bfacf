package dev.peerid.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import dev.peerid.FileIdentity;
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

  /** Files found trustworthy: by the path the peer maps them under, and the device and inode mapped. */
  private final Map<Mapped, Boolean> trusted = new ConcurrentHashMap<>();

  private record Mapped(String path, long device, long inode) {}

  /**
   * The suspicious code mapped executable into the process: libraries as {@code "mapped:/path"}
   * entries, and for a native program (not an interpreter, whose JIT writes code at run time)
   * executable memory backed by no file as {@code "anonymous:<start>-<end>"}.
   *
   * @param maps     the text of {@code /proc/<pid>/maps}
   * @param exePath  the process's executable (its own mapping is not a library)
   * @param exe      its identity
   * @param peerRoot the peer's root directory as the server reaches it ({@code /proc/<pid>/root}):
   *                 a path in {@code maps} means a file in the peer's mount namespace and root,
   *                 which need not be the file of that name where the server looks
   * @param nativeCode whether the peer is a native program, for which anonymous code is injected code
   */
  List<String> untrusted(String maps, String exePath, FileIdentity exe, Path peerRoot, boolean nativeCode) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : maps.split("\n")) {
      String perms = MapsLine.perms(line, 0, line.length());
      if (perms == null || perms.charAt(2) != 'x') {
        continue; // most lines: not code, and not worth parsing further
      }
      MapsLine m = MapsLine.parse(line);
      if (m == null) {
        continue;
      }
      if (m.inode() == 0) {
        if (nativeCode && !KERNEL_CODE.contains(m.path())) {
          out.add("anonymous:" + Long.toHexString(m.start()) + "-" + Long.toHexString(m.end())
              + (m.path().isEmpty() ? "" : " " + m.path()));
        }
        continue;
      }
      if (!m.path().startsWith("/")) {
        continue;
      }
      if (m.inode() == exe.inode() && m.device() == exe.device() && m.path().equals(exePath)) {
        continue;
      }
      if (!isTrusted(new Mapped(m.path(), m.device(), m.inode()), peerRoot)) {
        out.add("mapped:" + m.path());
      }
    }
    return new ArrayList<>(out);
  }

  /** Executable mappings the kernel itself provides. */
  private static final Set<String> KERNEL_CODE = Set.of("[vdso]", "[vsyscall]");

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

  private boolean isTrusted(Mapped mapped, Path peerRoot) {
    if (trusted.containsKey(mapped)) {
      return true;
    }
    String path = mapped.path();
    if (path.endsWith(" (deleted)")) {
      return false;
    }
    try {
      // through the peer's root: the file and directories it sees under that name, in its mount
      // namespace, which must be the very file mapped (device and inode)
      Path file = peerRoot.resolve(path.substring(1));
      Map<String, Object> a = Files.readAttributes(file, "unix:uid,mode,ino,dev", LinkOption.NOFOLLOW_LINKS);
      if (((Number) a.get("ino")).longValue() != mapped.inode() || ((Number) a.get("dev")).longValue() != mapped.device()
          || !rootOnly(a)) {
        return false;
      }
      for (Path dir = file.getParent(); dir != null && dir.startsWith(peerRoot); dir = dir.getParent()) {
        if (!rootOnly(Files.readAttributes(dir, "unix:uid,mode", dir.equals(peerRoot) ? new LinkOption[0]
            : new LinkOption[] {LinkOption.NOFOLLOW_LINKS}))) {
          return false;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false; // gone, renamed or unreadable: nothing vouches for it
    }
    if (trusted.size() >= MAX_REMEMBERED) {
      trusted.clear();
    }
    trusted.put(mapped, Boolean.TRUE);
    return true;
  }

  /** Owned by root, and neither group nor others may write it. */
  private static boolean rootOnly(Map<String, Object> attributes) {
    int mode = ((Number) attributes.get("mode")).intValue();
    return ((Number) attributes.get("uid")).intValue() == 0 && (mode & 0022) == 0;
  }
}
