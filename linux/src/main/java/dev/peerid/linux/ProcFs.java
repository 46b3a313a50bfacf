package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads what the backend needs from {@code /proc/<pid>}. The executable is always reached through
 * the {@code exe} magic link, which names the inode the process actually runs even when its path
 * was replaced or deleted.
 *
 * <p>This runs for every connection, so the files are read with plain open/read/close through
 * {@link LinuxLibc} into a per-thread buffer and parsed as bytes: the JDK's streams, paths and
 * attribute maps cost more than the system calls themselves here.
 */
final class ProcFs {
  /** /proc/<pid>/status and stat are a few KiB; anything longer is not a process file. */
  private static final int MAX_SMALL_FILE = 64 * 1024;
  /** An environment entry is at most MAX_ARG_STRLEN (32 pages) long. */
  private static final int MAX_ENV_ENTRY = 128 * 1024;
  /** PATH_MAX: a longer link target is read by the JDK instead. */
  private static final int SCRATCH = 4096;
  private static final List<String> INJECTING_VARIABLES = List.of("LD_PRELOAD=", "LD_AUDIT=", "LD_LIBRARY_PATH=");
  private static final byte[][] INJECTING_PREFIXES = EnvironScanner.prefixes(INJECTING_VARIABLES);
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[SCRATCH]);
  private static final byte[] EXE = bytes("exe");
  private static final byte[] EXE_NAME = {'e', 'x', 'e', 0};
  private static final byte[] STATUS = bytes("status");
  private static final byte[] STAT = bytes("stat");
  private static final byte[] ENVIRON = bytes("environ");
  private static final byte[] PAGEMAP = bytes("pagemap");
  static final byte[] USER_NAMESPACE = bytes("ns/user");
  static final byte[] MOUNT_NAMESPACE = bytes("ns/mnt");
  static final byte[] ROOT = bytes("root");
  private static final byte[] USER_NAMESPACE_NAME = {'n', 's', '/', 'u', 's', 'e', 'r', 0};
  /** The charset the JDK uses for file names, so that a path reads here as Files would give it. */
  private static final Charset FILE_NAMES = fileNameCharset();

  private final Path root;
  private final byte[] rootPrefix;
  private final LinuxLibc libc;

  ProcFs(Path root, LinuxLibc libc) {
    this.root = root;
    this.libc = libc;
    String r = root.toString();
    this.rootPrefix = (r.endsWith("/") ? r : r + "/").getBytes(FILE_NAMES);
  }

  /** For tests: a /proc-like tree read through the real libc. */
  ProcFs(Path root) {
    this(root, new JnaLinuxLibc());
  }

  /** This system's /proc through the real libc. */
  static ProcFs system() {
    return system(new JnaLinuxLibc());
  }

  static ProcFs system(LinuxLibc libc) {
    return new ProcFs(Path.of("/proc"), libc);
  }

  /** The magic link to the running executable; read it, never resolve it to a path and reopen. */
  Path exe(long pid) {
    return root.resolve(Long.toString(pid)).resolve("exe");
  }

  /** The process's root directory ({@code root}): paths it uses mean files under it. */
  Path root(long pid) {
    return root.resolve(Long.toString(pid)).resolve("root");
  }

  /** The process's memory map ({@code maps}). */
  Path maps(long pid) {
    return root.resolve(Long.toString(pid)).resolve("maps");
  }

  /** Opens the running executable read-only; the descriptor names that inode until closed. */
  int openExe(long pid) throws IOException {
    return open(pid, "exe", EXE);
  }

  /** The path through which this process reads a file it holds open as {@code fd}. */
  static Path heldFile(int fd) {
    return Path.of("/proc/self/fd/" + fd);
  }

  /** The path (ends in " (deleted)" when unlinked) and identity of one executable file. */
  record Exe(String path, FileIdentity identity) {}

  /**
   * The path and identity of the running executable, both read through one descriptor of it, so
   * they describe the same file even if the process execs another program meanwhile (two lookups
   * of /proc/PID/exe could each land on a different program of an exec loop).
   */
  Exe exeSnapshot(long pid) throws IOException {
    int fd = openExe(pid);
    try {
      byte[] held = heldPathBytes(fd);
      return new Exe(readLink(pid, held, heldFile(fd)), stat(pid, held, heldFile(fd)));
    } finally {
      libc.close(fd);
    }
  }

  /**
   * The first {@code max} bytes (fewer at the end of the file) of the running executable, read
   * through one descriptor of it, which must still be the file {@code expected} names.
   */
  byte[] exeStart(long pid, FileIdentity expected, int max) throws IOException {
    int fd = openExe(pid);
    try {
      if (!stat(pid, heldPathBytes(fd), heldFile(fd)).equals(expected)) {
        throw new IOException("the executable of process " + pid + " changed while it was read");
      }
      byte[] out = new byte[max];
      int length = 0;
      while (length < max) {
        int n = read(pid, "exe", fd, out, length);
        if (n <= 0) {
          break;
        }
        length += n;
      }
      return length == max ? out : Arrays.copyOf(out, length);
    } finally {
      libc.close(fd);
    }
  }

  /** Reads {@code pagemap} in {@code work}, through one descriptor opened and closed here. */
  <T> T withPagemap(long pid, PagemapWork<T> work) throws IOException {
    int fd = open(pid, "pagemap", PAGEMAP);
    try {
      return work.run((offset, buf, length) -> {
        try {
          return libc.pread(fd, buf, length, offset);
        } catch (LinuxLibc.ErrnoException e) {
          throw failure(pid, "pagemap", e);
        }
      });
    } finally {
      libc.close(fd);
    }
  }

  /** What is done with a process's {@code pagemap}. */
  interface PagemapWork<T> {
    T run(ModifiedCode.Pagemap pagemap) throws IOException;
  }

  long pageSize() {
    return libc.pageSize();
  }

  /** The identity of the running inode: stat() follows the magic link to it. */
  FileIdentity exeIdentity(long pid) throws IOException {
    return stat(pid, path(pid, EXE), exe(pid));
  }

  /**
   * An {@code O_PATH} descriptor of {@code /proc/<pid>}. It stays bound to the process that had the
   * pid when it was opened: names looked up through it fail once that process is gone, even if the
   * pid names another one by then. The caller owns it.
   */
  int openProcessDirectory(long pid) throws IOException {
    try {
      return libc.openDirectoryPath(path(pid, new byte[0]));
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, "", e);
    }
  }

  /** The identity of the running inode of the process whose {@code /proc/<pid>} is {@code procDir}. */
  FileIdentity exeIdentityAt(long pid, int procDir) throws IOException {
    try {
      return libc.statAt(procDir, EXE_NAME);
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, "exe", e);
    }
  }

  /**
   * The device and inode a link of {@code /proc/<pid>} leads to ({@link #ROOT}: the process's root
   * directory). Read by path: the caller confirms afterwards that the pid was still its process's.
   */
  FileIdentity linkTarget(long pid, byte[] name) throws IOException {
    return stat(pid, path(pid, name), root.resolve(Long.toString(pid)).resolve(new String(name, StandardCharsets.US_ASCII)));
  }

  /**
   * What a namespace link of {@code /proc/<pid>} says ({@link #USER_NAMESPACE}: {@code "user:[4026531837]"}):
   * the kernel writes the namespace's inode number on nsfs, its identity for the whole boot (all
   * namespaces share one nsfs), without opening the namespace as a stat through the link would
   * (≈ 2.5× the cost). Read by path: the caller confirms afterwards that the pid was still its process's.
   */
  String namespace(long pid, byte[] name) throws IOException {
    byte[] buf = BUFFER.get();
    int n;
    try {
      n = libc.readlink(path(pid, name), buf);
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, new String(name, StandardCharsets.US_ASCII), e);
    }
    return new String(buf, 0, Math.max(0, Math.min(n, 64)), StandardCharsets.US_ASCII);
  }

  /** {@link #namespace} of the user namespace, through the {@code /proc/<pid>} descriptor bound to the process. */
  String userNamespaceAt(long pid, int procDir) throws IOException {
    byte[] buf = BUFFER.get();
    int n;
    try {
      n = libc.readlinkAt(procDir, USER_NAMESPACE_NAME, buf);
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, "ns/user", e);
    }
    return new String(buf, 0, Math.max(0, Math.min(n, 64)), StandardCharsets.US_ASCII);
  }

  /**
   * The owner the kernel gives {@code /proc/<pid>/stat} now: the process's effective uid while it
   * is dumpable, root (of the user namespace its memory belongs to) once it is not. (The
   * {@code /proc/<pid>} directory itself always shows the effective uid, for ps.) Each lookup of
   * the name recomputes it. Read by path: the caller confirms afterwards that the pid was still its
   * process's.
   */
  long dumpOwner(long pid) throws IOException {
    return owner(pid, LinuxLibc.AT_FDCWD, path(pid, STAT), root.resolve(Long.toString(pid)).resolve("stat"));
  }

  /** {@link #dumpOwner} through the {@code /proc/<pid>} descriptor bound to the process. */
  long dumpOwnerAt(long pid, int procDir) throws IOException {
    return owner(pid, procDir, STAT_NAME, heldFile(procDir).resolve("stat"));
  }

  private long owner(long pid, int dirfd, byte[] name, Path jdkFile) throws IOException {
    try {
      return libc.ownerAt(dirfd, name);
    } catch (LinuxLibc.ErrnoException e) {
      if (e.errno() == LinuxLibc.ENOSYS || e.errno() == LinuxLibc.EPERM) {
        // no statx here (see stat): the JDK's stat asks the same getattr
        return ((Number) Files.getAttribute(jdkFile, "unix:uid")).longValue();
      }
      throw failure(pid, "", e);
    }
  }

  /**
   * The identity of the file {@code path} names where this process looks it up, or null when it
   * names nothing (or cannot be looked up).
   */
  FileIdentity lookUp(String path) {
    byte[] name = path.getBytes(FILE_NAMES);
    byte[] z = Arrays.copyOf(name, name.length + 1);
    try {
      return libc.stat(z);
    } catch (LinuxLibc.ErrnoException e) {
      if (e.errno() == LinuxLibc.ENOSYS || e.errno() == LinuxLibc.EPERM || e.errno() == 36 /* ENAMETOOLONG */) {
        try {
          return FileIdentity.of(Path.of(path));
        } catch (IOException | RuntimeException jdk) {
          return null;
        }
      }
      return null;
    }
  }

  private static final byte[] STAT_NAME = {'s', 't', 'a', 't', 0};

  private String readLink(long pid, byte[] link, Path jdkLink) throws IOException {
    byte[] buf = BUFFER.get();
    int n;
    try {
      n = libc.readlink(link, buf);
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, "exe", e);
    }
    if (n < 0 || n >= buf.length) {
      return Files.readSymbolicLink(jdkLink).toString(); // may have been cut: let the JDK size it
    }
    return new String(buf, 0, n, FILE_NAMES);
  }

  private FileIdentity stat(long pid, byte[] file, Path jdkFile) throws IOException {
    try {
      return libc.stat(file);
    } catch (LinuxLibc.ErrnoException e) {
      if (e.errno() == LinuxLibc.ENOSYS || e.errno() == LinuxLibc.EPERM) {
        // no statx in this C library, or a seccomp filter (older container runtimes) refuses it:
        // the JDK's stat gives the same identity, or the precise error
        return FileIdentity.of(jdkFile);
      }
      throw failure(pid, "exe", e);
    }
  }

  private static byte[] heldPathBytes(int fd) {
    byte[] name = ("/proc/self/fd/" + fd).getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.copyOf(name, name.length + 1);
  }

  /** The facts of {@code /proc/<pid>/status} the backend uses. */
  record Status(long tracerPid, long euid, long egid, List<Long> groups) {}

  /**
   * Reads {@code /proc/<pid>/status} only as far as the lines the backend needs (TracerPid, Uid,
   * Gid, Groups come in the first few hundred bytes): one read, no read for the end of file. The
   * kernel formats the whole file on the first read, so every field comes from one snapshot.
   */
  Status status(long pid) throws IOException {
    return status(pid, "status", STATUS);
  }

  /**
   * The tracer of a thread other than the main one (the main thread's is in {@link #status}): a
   * debugger can attach to one thread alone. 0 when none is traced, -1 when the process has more
   * than {@code maxThreads} threads (they were not all looked at). A single-threaded process costs
   * one stat: the task directory's link count is 2 + the number of threads.
   */
  long otherThreadTracer(long pid, int maxThreads) throws IOException {
    Path task = root.resolve(Long.toString(pid)).resolve("task");
    Object links = Files.getAttribute(task, "unix:nlink");
    if (links instanceof Number n && n.longValue() <= 3) {
      return 0;
    }
    String self = Long.toString(pid);
    int seen = 0;
    try (DirectoryStream<Path> threads = Files.newDirectoryStream(task)) {
      for (Path thread : threads) {
        String tid = thread.getFileName().toString();
        if (tid.equals(self) || !tid.chars().allMatch(Character::isDigit)) {
          continue;
        }
        if (++seen > maxThreads) {
          return -1;
        }
        String name = "task/" + tid + "/status";
        Status s;
        try {
          s = status(pid, name, bytes(name));
        } catch (NoSuchFileException ended) {
          continue; // the thread ended: it traces nothing now
        }
        if (s.tracerPid() != 0) {
          return s.tracerPid();
        }
      }
    }
    return 0;
  }

  private Status status(long pid, String label, byte[] name) throws IOException {
    int fd = open(pid, label, name);
    try {
      byte[] buf = BUFFER.get();
      int length = 0;
      while (true) {
        if (length == buf.length) {
          if (buf.length >= MAX_SMALL_FILE) {
            // cut at the limit: only complete lines count (a cut Groups line would name wrong groups)
            int lastLine = lastIndexOf(buf, (byte) '\n', length);
            return parseStatus(pid, buf, lastLine + 1, true);
          }
          buf = Arrays.copyOf(buf, Math.min(MAX_SMALL_FILE, buf.length * 2));
        }
        int n = read(pid, label, fd, buf, length);
        if (n <= 0) {
          return parseStatus(pid, buf, length, true);
        }
        length += n;
        Status s = parseStatus(pid, buf, length, false);
        if (s != null) {
          return s;
        }
      }
    } finally {
      libc.close(fd);
    }
  }

  /** Parses a whole status text (for tests and fuzzing). */
  static Status parseStatus(long pid, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
    return parseStatus(pid, b, b.length, true);
  }

  private static final byte[] TRACER_PID = bytes("TracerPid:");
  private static final byte[] UID = bytes("Uid:");
  private static final byte[] GID = bytes("Gid:");
  private static final byte[] GROUPS = bytes("Groups:");

  /**
   * The status facts from the complete lines of {@code b[0, length)}; at the end of the file also
   * from an unterminated last line. Null while a needed line is still to come. The first line of
   * each name counts (the kernel writes each once; a process cannot add lines: its name is escaped).
   */
  static Status parseStatus(long pid, byte[] b, int length, boolean atEnd) throws IOException {
    long tracer = -1;
    long euid = -1;
    long egid = -1;
    List<Long> groups = null;
    int pos = 0;
    while (pos < length) {
      int end = indexOf(b, (byte) '\n', pos, length);
      if (end < 0) {
        if (!atEnd) {
          break;
        }
        end = length;
      }
      if (tracer < 0 && startsWith(b, pos, end, TRACER_PID)) {
        tracer = field(b, pos + TRACER_PID.length, end, 0);
      } else if (euid < 0 && startsWith(b, pos, end, UID)) {
        euid = field(b, pos + UID.length, end, 1); // real, effective, saved, fs
      } else if (egid < 0 && startsWith(b, pos, end, GID)) {
        egid = field(b, pos + GID.length, end, 1);
      } else if (groups == null && startsWith(b, pos, end, GROUPS)) {
        groups = fields(b, pos + GROUPS.length, end);
      }
      if (tracer >= 0 && euid >= 0 && egid >= 0 && groups != null) {
        return new Status(tracer, euid, egid, groups);
      }
      pos = end + 1;
    }
    if (!atEnd) {
      return null;
    }
    if (tracer < 0 || euid < 0 || egid < 0) {
      throw new IOException("unexpected format of /proc/" + pid + "/status");
    }
    return new Status(tracer, euid, egid, groups == null ? List.of() : groups);
  }

  /** Field 22 of {@code /proc/<pid>/stat}: start time in clock ticks after boot. */
  long startTime(long pid) throws IOException {
    int fd = open(pid, "stat", STAT);
    byte[] buf = BUFFER.get();
    int length = 0;
    try {
      int n;
      while (length < buf.length && (n = read(pid, "stat", fd, buf, length)) > 0) {
        length += n;
      }
    } finally {
      libc.close(fd);
    }
    return parseStartTime(pid, new String(buf, 0, length, StandardCharsets.ISO_8859_1));
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
   * {@code LD_AUDIT}), and directories searched before the system's ({@code LD_LIBRARY_PATH}: a
   * library there replaces one the signed program expects), as {@code "LD_PRELOAD=/path/lib.so"}
   * entries. Reads the environment the
   * process was started with, streaming it to the end (it may be megabytes; a matching entry may
   * be anywhere). Empty when it cannot be read (another user's process without CAP_SYS_PTRACE).
   */
  List<String> injectedLibraries(long pid) {
    List<String> out = new ArrayList<>(0);
    int fd;
    try {
      fd = open(pid, "environ", ENVIRON);
    } catch (IOException e) {
      return out; // unreadable (another user's process, or it exited): nothing can be said
    }
    try {
      byte[] buf = BUFFER.get();
      EnvironScanner scanner = new EnvironScanner(INJECTING_PREFIXES, MAX_ENV_ENTRY, entry -> addLibraries(entry, out));
      int n;
      do {
        n = read(pid, "environ", fd, buf, 0);
        if (n > 0) {
          scanner.feed(buf, 0, n);
        }
        // the kernel fills a read up to the end of the environment: a short read is the end (and
        // saves the empty read that would say so)
      } while (n == buf.length);
      scanner.finish();
    } catch (IOException e) {
      // it exited while being read: what was seen is all that can be said
    } finally {
      libc.close(fd);
    }
    return out;
  }

  private static void addLibraries(String entry, List<String> out) {
    for (String variable : INJECTING_VARIABLES) {
      if (entry.startsWith(variable)) {
        for (String lib : entry.substring(variable.length()).split("[:\\s]+")) {
          if (!lib.isEmpty()) {
            out.add(variable + lib);
          }
        }
      }
    }
  }

  private int open(long pid, String name, byte[] nameBytes) throws IOException {
    try {
      return libc.openReadOnly(path(pid, nameBytes));
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, name, e);
    }
  }

  /** Reads into buf[offset, buf.length): through the scratch start when offset is not 0. */
  private int read(long pid, String name, int fd, byte[] buf, int offset) throws IOException {
    try {
      if (offset == 0) {
        return libc.read(fd, buf, buf.length);
      }
      byte[] chunk = new byte[buf.length - offset];
      int n = libc.read(fd, chunk, chunk.length);
      if (n > 0) {
        System.arraycopy(chunk, 0, buf, offset, n);
      }
      return n;
    } catch (LinuxLibc.ErrnoException e) {
      throw failure(pid, name, e);
    }
  }

  /** The same exceptions the JDK's file classes throw, which the callers tell apart. */
  private IOException failure(long pid, String name, LinuxLibc.ErrnoException e) {
    String file = root.resolve(Long.toString(pid)).resolve(name).toString();
    IOException out = switch (e.errno()) {
      case LinuxLibc.ENOENT, LinuxLibc.ESRCH -> new NoSuchFileException(file, null, e.getMessage());
      case LinuxLibc.EACCES, LinuxLibc.EPERM -> new AccessDeniedException(file, null, e.getMessage());
      default -> new IOException(file + ": " + e.getMessage());
    };
    out.initCause(e);
    return out;
  }

  /** {@code <root>/<pid>/<name>} as a NUL-terminated path. */
  private byte[] path(long pid, byte[] name) {
    byte[] p = new byte[rootPrefix.length + 20 + 1 + name.length + 1];
    System.arraycopy(rootPrefix, 0, p, 0, rootPrefix.length);
    int i = rootPrefix.length;
    if (pid < 0) {
      throw new IllegalArgumentException("negative pid " + pid);
    }
    int digits = 1;
    for (long v = pid / 10; v > 0; v /= 10) {
      digits++;
    }
    for (int k = digits - 1; k >= 0; k--, pid /= 10) {
      p[i + k] = (byte) ('0' + pid % 10);
    }
    i += digits;
    p[i++] = '/';
    System.arraycopy(name, 0, p, i, name.length);
    // the rest is already zero: the terminating NUL
    return p;
  }

  private static int indexOf(byte[] b, byte value, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(byte[] b, byte value, int to) {
    for (int i = to - 1; i >= 0; i--) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, int from, int to, byte[] prefix) {
    return to - from >= prefix.length && Arrays.equals(b, from, from + prefix.length, prefix, 0, prefix.length);
  }

  /** The index-th whitespace-separated number in b[from, to), or -1 when there are fewer. */
  private static long field(byte[] b, int from, int to, int index) throws IOException {
    int i = from;
    int seen = 0;
    while (i < to) {
      if (b[i] == ' ' || b[i] == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < to && b[i] != ' ' && b[i] != '\t') {
        i++;
      }
      if (seen++ == index) {
        return number(b, start, i);
      }
    }
    return -1;
  }

  private static List<Long> fields(byte[] b, int from, int to) throws IOException {
    List<Long> out = new ArrayList<>(4);
    int i = from;
    while (i < to) {
      if (b[i] == ' ' || b[i] == '\t') {
        i++;
        continue;
      }
      int start = i;
      while (i < to && b[i] != ' ' && b[i] != '\t') {
        i++;
      }
      out.add(number(b, start, i));
    }
    return out;
  }

  /** A non-negative decimal number; anything else (sign, letters, overflow) is a format error. */
  private static long number(byte[] b, int from, int to) throws IOException {
    if (to - from > 18) { // 18 digits cannot overflow a long, and ids and pids are far shorter
      throw new IOException("unexpected number in /proc status: " + new String(b, from, Math.min(to - from, 40),
          StandardCharsets.ISO_8859_1));
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        throw new IOException("unexpected number in /proc status: "
            + new String(b, from, Math.min(to - from, 40), StandardCharsets.ISO_8859_1));
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static Charset fileNameCharset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding"));
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }
}
