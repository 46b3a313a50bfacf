package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads what the backend needs from {@code /proc/<pid>}. The executable is always reached through
 * the {@code exe} magic link, which names the inode the process actually runs even when its path
 * was replaced or deleted.
 */
final class ProcFs {
  /** /proc/<pid>/status and stat are a few KiB; anything longer is not a process file. */
  private static final int MAX_SMALL_FILE = 64 * 1024;
  /** An environment entry is at most MAX_ARG_STRLEN (32 pages) long. */
  private static final int MAX_ENV_ENTRY = 128 * 1024;
  private static final List<String> INJECTING_VARIABLES = List.of("LD_PRELOAD=", "LD_AUDIT=");

  private final Path root;

  ProcFs(Path root) {
    this.root = root;
  }

  static ProcFs system() {
    return new ProcFs(Path.of("/proc"));
  }

  /** The magic link to the running executable; read it, never resolve it to a path and reopen. */
  Path exe(long pid) {
    return root.resolve(Long.toString(pid)).resolve("exe");
  }

  /** The path the kernel reports for the executable (ends in " (deleted)" when unlinked). */
  String exePath(long pid) throws IOException {
    return Files.readSymbolicLink(exe(pid)).toString();
  }

  /** The identity of the running inode: stat() follows the magic link to it. */
  FileIdentity exeIdentity(long pid) throws IOException {
    // a native statx is no cheaper: resolving the magic link in the kernel is the cost
    return identity(exe(pid));
  }

  static FileIdentity identity(Path file) throws IOException {
    Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime,ctime");
    return new FileIdentity(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
        ((Number) a.get("size")).longValue(), nanos(a.get("lastModifiedTime")), nanos(a.get("ctime")));
  }

  private static long nanos(Object time) {
    return time instanceof FileTime t ? t.to(TimeUnit.NANOSECONDS) : 0;
  }

  /** The facts of {@code /proc/<pid>/status} the backend uses. */
  record Status(long tracerPid, long euid, long egid, List<Long> groups) {}

  Status status(long pid) throws IOException {
    return parseStatus(pid, readSmall(root.resolve(Long.toString(pid)).resolve("status")));
  }

  static Status parseStatus(long pid, String text) throws IOException {
    long tracer = -1;
    long euid = -1;
    long egid = -1;
    List<Long> groups = List.of();
    // hand-rolled line scan: this runs on every verification, and regex splitting costs more than the read
    int pos = 0;
    while (pos < text.length()) {
      int end = text.indexOf('\n', pos);
      if (end < 0) {
        end = text.length();
      }
      if (text.startsWith("TracerPid:", pos)) {
        tracer = field(text, pos + 10, end, 0);
      } else if (text.startsWith("Uid:", pos)) {
        euid = field(text, pos + 4, end, 1); // real, effective, saved, fs
      } else if (text.startsWith("Gid:", pos)) {
        egid = field(text, pos + 4, end, 1);
      } else if (text.startsWith("Groups:", pos)) {
        groups = fields(text, pos + 7, end);
      }
      pos = end + 1;
    }
    if (tracer < 0 || euid < 0 || egid < 0) {
      throw new IOException("unexpected format of /proc/" + pid + "/status");
    }
    return new Status(tracer, euid, egid, groups);
  }

  /** Field 22 of {@code /proc/<pid>/stat}: start time in clock ticks after boot. */
  long startTime(long pid) throws IOException {
    return parseStartTime(pid, readSmall(root.resolve(Long.toString(pid)).resolve("stat")));
  }

  static long parseStartTime(long pid, String text) throws IOException {
    // the command name (field 2) is in parentheses and may itself contain ") " and spaces
    int close = text.lastIndexOf(')');
    if (close < 0) {
      throw new IOException("unexpected format of /proc/" + pid + "/stat");
    }
    String[] fields = text.substring(close + 1).trim().split("\\s+");
    // fields[0] is field 3 (state), so field 22 is fields[19]
    if (fields.length < 20) {
      throw new IOException("unexpected format of /proc/" + pid + "/stat");
    }
    try {
      return Long.parseLong(fields[19]);
    } catch (NumberFormatException e) {
      throw new IOException("unexpected start time in /proc/" + pid + "/stat: " + fields[19], e);
    }
  }

  /**
   * Libraries forced into the process by the dynamic loader's environment ({@code LD_PRELOAD},
   * {@code LD_AUDIT}), as {@code "LD_PRELOAD=/path/lib.so"} entries. Reads the environment the
   * process was started with, streaming it (it may be megabytes). Empty when it cannot be read
   * (another user's process without CAP_SYS_PTRACE).
   */
  List<String> injectedLibraries(long pid) {
    List<String> out = new ArrayList<>();
    try (InputStream in = open(root.resolve(Long.toString(pid)).resolve("environ"))) {
      EnvironScanner.scan(in, MAX_ENV_ENTRY, INJECTING_VARIABLES, entry -> {
        for (String variable : INJECTING_VARIABLES) {
          if (entry.startsWith(variable)) {
            String value = entry.substring(variable.length());
            for (String lib : value.split("[:\\s]+")) {
              if (!lib.isEmpty()) {
                out.add(variable + lib);
              }
            }
          }
        }
      });
    } catch (IOException e) {
      // unreadable (another user's process, or it exited): nothing can be said
    }
    return out;
  }

  /**
   * Opens a /proc file with the lighter FileInputStream (no channel set-up: this is on the path of
   * every verification), but fails with the precise NIO exceptions the callers tell apart.
   */
  private static InputStream open(Path file) throws IOException {
    try {
      return new FileInputStream(file.toFile());
    } catch (FileNotFoundException e) {
      if (!Files.exists(file)) {
        throw new NoSuchFileException(file.toString(), null, e.getMessage());
      }
      throw new AccessDeniedException(file.toString(), null, e.getMessage());
    }
  }

  private static String readSmall(Path file) throws IOException {
    // a plain read loop: FileInputStream.readNBytes would also fstat and lseek, which /proc cannot use
    byte[] buf = new byte[4096];
    int length = 0;
    try (InputStream in = open(file)) {
      int n;
      while ((n = in.read(buf, length, buf.length - length)) > 0) {
        length += n;
        if (length == buf.length) {
          if (buf.length >= MAX_SMALL_FILE) {
            break;
          }
          buf = Arrays.copyOf(buf, Math.min(MAX_SMALL_FILE, buf.length * 2));
        }
      }
    }
    return new String(buf, 0, length, StandardCharsets.ISO_8859_1);
  }


  /** The index-th whitespace-separated number in text[from, to), or -1 when there are fewer. */
  private static long field(String text, int from, int to, int index) throws IOException {
    List<Long> all = fields(text, from, to);
    return index < all.size() ? all.get(index) : -1;
  }

  private static List<Long> fields(String text, int from, int to) throws IOException {
    List<Long> out = new ArrayList<>(4);
    int i = from;
    while (i < to) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < to && text.charAt(i) != ' ' && text.charAt(i) != '\t') {
        i++;
      }
      try {
        out.add(Long.parseLong(text, start, i, 10));
      } catch (NumberFormatException e) {
        throw new IOException("unexpected number in /proc status: " + text.substring(start, i), e);
      }
    }
    return out;
  }
}
