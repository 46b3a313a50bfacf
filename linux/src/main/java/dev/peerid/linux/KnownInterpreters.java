package dev.peerid.linux;

import dev.peerid.Digest;
import dev.peerid.FileIdentity;
import dev.peerid.Interpreters;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The interpreters installed on this system (python, perl, shells, node, java ...), so that a
 * renamed copy is still recognised: a file is an interpreter when its content equals one of them.
 *
 * <p>The directories are listed once, lazily; only interpreters whose size equals the candidate's
 * are hashed, and their digests are cached by file identity (an upgraded interpreter is hashed again).
 */
final class KnownInterpreters {
  // the loader directories too: ld-linux*.so run as a program is an interpreter (Interpreters)
  private static final List<String> DEFAULT_DIRS = List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin",
      "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
      "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu");

  private final List<Path> dirs;
  private volatile Map<Long, List<Path>> bySize;
  private final Map<Path, Known> digests = new ConcurrentHashMap<>();

  KnownInterpreters(List<Path> dirs) {
    this.dirs = List.copyOf(dirs);
  }

  /** The directories of {@code PATH} and the usual system ones. */
  static KnownInterpreters system() {
    Set<Path> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(":")) {
        if (d.startsWith("/")) {
          dirs.add(Path.of(d));
        }
      }
    }
    DEFAULT_DIRS.forEach(d -> dirs.add(Path.of(d)));
    String javaHome = System.getProperty("java.home");
    if (javaHome != null) {
      dirs.add(Path.of(javaHome, "bin"));
    }
    return new KnownInterpreters(new ArrayList<>(dirs));
  }

  /**
   * The interpreter whose content equals the file's, if any.
   *
   * @param content  the file to check (for a process, its {@code /proc/<pid>/exe})
   * @param identity the file's identity (its size selects the interpreters worth hashing)
   * @param sha256   the file's SHA-256 when already known (saves reading it again)
   */
  Optional<String> match(Path content, FileIdentity identity, Optional<Digest> sha256) throws IOException {
    List<Path> sameSize = index().get(identity.size());
    if (sameSize == null) {
      return Optional.empty();
    }
    byte[] mine = null;
    for (Path interpreter : sameSize) {
      Known known = known(interpreter);
      if (known == null) {
        continue;
      }
      if (known.identity.device() == identity.device() && known.identity.inode() == identity.inode()) {
        return Optional.of(known.name);
      }
      if (mine == null) {
        mine = sha256.isPresent() && "SHA-256".equals(sha256.get().algorithm()) ? sha256.get().value() : sha256(content);
      }
      if (MessageDigest.isEqual(mine, known.sha256)) {
        return Optional.of(known.name);
      }
    }
    return Optional.empty();
  }

  private Known known(Path interpreter) {
    try {
      FileIdentity now = FileIdentity.of(interpreter);
      Known k = digests.get(interpreter);
      if (k != null && k.identity.equals(now)) {
        return k;
      }
      String name = Interpreters.byPath(interpreter.toString()).orElse(interpreter.getFileName().toString());
      Known fresh = new Known(name, now, sha256(interpreter));
      digests.put(interpreter, fresh);
      return fresh;
    } catch (IOException e) {
      return null; // removed or unreadable since it was listed
    }
  }

  private Map<Long, List<Path>> index() {
    Map<Long, List<Path>> m = bySize;
    if (m == null) {
      m = build();
      bySize = m;
    }
    return m;
  }

  private Map<Long, List<Path>> build() {
    Map<Path, Long> real = new HashMap<>();
    for (Path dir : dirs) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          if (Interpreters.byPath(entry.getFileName().toString()).isEmpty()) {
            continue;
          }
          try {
            Path target = entry.toRealPath();
            if (Files.isRegularFile(target) && !real.containsKey(target)) {
              real.put(target, Files.size(target));
            }
          } catch (IOException e) {
            // a dangling link is no interpreter
          }
        }
      } catch (IOException | RuntimeException e) {
        // a missing PATH directory lists nothing
      }
    }
    Map<Long, List<Path>> out = new HashMap<>();
    real.forEach((path, size) -> out.computeIfAbsent(size, s -> new ArrayList<>()).add(path));
    out.replaceAll((size, paths) -> List.copyOf(paths));
    return Map.copyOf(out);
  }

  static byte[] sha256(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("SHA-256 is not available in this JVM", e);
    }
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  private record Known(String name, FileIdentity identity, byte[] sha256) {}
}
