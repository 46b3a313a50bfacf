package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds pages of a process's executable whose code or constants in memory are no longer the file's.
 * A read-only private file mapping holds page-cache pages of the file; a write into it (through
 * {@code /proc/<pid>/mem}, which may write where the process may not, or a debugger's {@code
 * PTRACE_POKETEXT}, or a uprobe) copies the page first, and the copy is an anonymous page. {@code
 * /proc/<pid>/pagemap} tells the two apart for every page without reading any of them: bit 63
 * present, bit 62 swapped, bit 61 a file page (flags stay visible to readers without {@code
 * CAP_SYS_ADMIN}; only the frame numbers are zeroed). A page present or swapped without bit 61 is a
 * copy. Pages never touched are not present and will be read from the file: they are fine. A
 * transparent huge page of file text is still a file page.
 *
 * <p>Only pages of non-writable load segments outside {@code PT_GNU_RELRO} are looked at (see
 * {@link ElfSegments}): every other page of an executable is written legitimately. Misses writes
 * into anything else: the heap, the stack, anonymous memory, writable data (a GOT without RELRO, a
 * function pointer), libraries, and code loaded later. Reports, rightly but perhaps unexpectedly,
 * an executable with text relocations ({@code TEXTREL}: the loader writes into its code) and one
 * with an active uprobe. {@code pagemap} cannot be opened without privilege on Linux 4.0 and 4.1:
 * there every peer is reported unchecked.
 */
final class ModifiedCode {
  /** More than this much code is not checked page by page: it is reported as not checked. */
  static final long MAX_CHECKED_BYTES = 64L << 20;

  static final long PRESENT = 1L << 63;
  static final long SWAPPED = 1L << 62;
  static final long FILE_PAGE = 1L << 61;
  private static final int ENTRIES_PER_READ = 1024;
  /**
   * A loader maps an executable in a handful of pieces; a peer that maps its own file thousands of
   * times must not make the server compare every piece with every other (the work is their product).
   */
  static final int MAX_MAPPINGS = 256;
  private static final int MAX_BIASES = 8;

  /** Positional reads of {@code /proc/<pid>/pagemap}. */
  interface Pagemap {
    /** Reads at most {@code length} bytes at {@code offset} into the start of {@code buf}: the count, 0 at the end. */
    int read(long offset, byte[] buf, int length) throws IOException;
  }

  /** The first bytes read for the headers: enough for every usual executable in one read. */
  private static final int FIRST_READ = 4096;

  /** Executables whose headers were read, by identity: their segments do not change without it. */
  private static final int MAX_REMEMBERED = 256;
  private final Map<FileIdentity, ElfSegments> segments = new ConcurrentHashMap<>();

  /**
   * The risk entries for the code of {@code pid}'s executable: none when every checked page is the
   * file's, a {@link #modified} entry when some are not, an {@link #unchecked} entry when it cannot
   * be told (never silently nothing). Throws what reading {@code /proc} throws otherwise (the
   * process exited).
   *
   * @param maps the text of {@code /proc/<pid>/maps}, read after {@code identity}
   */
  List<String> check(ProcFs proc, long pid, String maps, String exePath, FileIdentity identity) throws IOException {
    ElfSegments elf = segments.get(identity);
    if (elf == null) {
      try {
        elf = segments(proc, pid, identity);
      } catch (ElfSegments.Unreadable e) {
        return List.of(unchecked(exePath, "its ELF program headers cannot be read: " + e.getMessage()));
      }
      if (segments.size() >= MAX_REMEMBERED) {
        segments.clear();
      }
      // the identity includes size, mtime and ctime: a file changed in place gets another key
      segments.put(identity, elf);
    }
    try {
      long pages = proc.modifiedPages(pid, maps, identity, elf).modified();
      return pages == 0 ? List.of() : List.of(modified(exePath, pages));
    } catch (Unchecked e) {
      return List.of(unchecked(exePath, e.getMessage()));
    } catch (AccessDeniedException e) {
      return List.of(unchecked(exePath, "/proc/" + pid + "/pagemap is not readable by this process"));
    }
  }

  private static ElfSegments segments(ProcFs proc, long pid, FileIdentity identity)
      throws IOException, ElfSegments.Unreadable {
    byte[] start = proc.exeStart(pid, identity, FIRST_READ);
    try {
      return ElfSegments.parse(start, start.length, proc.pageSize());
    } catch (ElfSegments.Unreadable e) {
      if (!e.truncated() || start.length < FIRST_READ) {
        throw e;
      }
    }
    start = proc.exeStart(pid, identity, ElfSegments.HEADER_BYTES);
    return ElfSegments.parse(start, start.length, proc.pageSize());
  }

  /** A risk entry naming an executable whose code in memory differs from the file. */
  static String modified(String exePath, long pages) {
    return "modified:" + exePath + " (" + pages + (pages == 1 ? " page" : " pages") + " of its code or constants"
        + " modified in memory: a debugger's breakpoint, a uprobe, or a write through /proc/PID/mem)";
  }

  /** A risk entry for an executable whose code in memory could not be compared with the file. */
  static String unchecked(String exePath, String why) {
    return "unchecked:" + exePath + " (whether its code was modified in memory cannot be told: " + why + ")";
  }

  /**
   * How many pages of the executable were compared, and how many are copies rather than the file's pages.
   *
   * @param maps     the text of {@code /proc/<pid>/maps}
   * @param exe      the identity of the executable (its mappings are found by device and inode)
   * @param elf      its segments
   * @param pageSize the system's page size
   * @throws Unchecked when it cannot be told
   */
  static Pages modifiedPages(String maps, FileIdentity exe, ElfSegments elf, long pageSize, Pagemap pagemap)
      throws Unchecked, IOException {
    List<long[]> vmas = new ArrayList<>(); // {start, end, offset}: the executable's mappings nobody may write
    List<Long> biases = new ArrayList<>();
    String inode = " " + exe.inode() + " ";
    for (int at = 0, next; at < maps.length(); at = next + 1) {
      next = maps.indexOf('\n', at);
      if (next < 0) {
        next = maps.length();
      }
      // a process maps hundreds of other files: only lines naming the inode are worth splitting
      int hit = maps.indexOf(inode, at);
      if (hit < 0) {
        break;
      }
      if (hit > next) {
        next = maps.lastIndexOf('\n', hit);
        continue;
      }
      long[] m = parse(maps.substring(at, next), exe);
      if (m == null) {
        continue;
      }
      if (m[3] == 0) {
        vmas.add(m);
      }
      if (m[2] == elf.firstOffset()) {
        long bias = elf.fixedAddress() ? 0 : m[0] - elf.firstVaddr();
        if (!biases.contains(bias)) {
          biases.add(bias);
        }
      }
      if (vmas.size() > MAX_MAPPINGS || biases.size() > MAX_BIASES) {
        throw new Unchecked("the executable is mapped more than " + MAX_MAPPINGS + " times");
      }
    }
    if (biases.isEmpty()) {
      throw new Unchecked("its first load segment is not mapped");
    }
    // address -> end of the ranges to compare: the executable's read-only mappings where they map
    // the file offsets its read-only segments say (an unrelated mapping of the same file elsewhere
    // does not line up and is skipped)
    TreeMap<Long, Long> ranges = new TreeMap<>();
    long total = 0;
    for (long bias : biases) {
      for (long[] vma : vmas) {
        for (ElfSegments.Checked c : elf.checked()) {
          long start = Math.max(vma[0], c.start() + bias);
          long end = Math.min(vma[1], c.end() + bias);
          if (start < end && vma[2] - vma[0] == c.fileDelta() - bias) {
            ranges.merge(start, end, Math::max);
          }
        }
      }
    }
    for (var r : ranges.entrySet()) {
      total += r.getValue() - r.getKey(); // counts overlaps twice: a bound, not a size
    }
    if (total > MAX_CHECKED_BYTES) {
      throw new Unchecked("more than " + (MAX_CHECKED_BYTES >> 20) + " MiB of code");
    }
    long modified = 0;
    long checked = 0;
    long present = 0;
    byte[] buf = new byte[ENTRIES_PER_READ * 8];
    ByteBuffer entries = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    long checkedUpTo = Long.MIN_VALUE;
    for (var r : ranges.entrySet()) {
      long from = Math.max(r.getKey(), checkedUpTo);
      long to = r.getValue();
      for (long page = from / pageSize; page < to / pageSize; ) {
        int want = (int) Math.min(ENTRIES_PER_READ, to / pageSize - page) * 8;
        int n = pagemap.read(page * 8, buf, want);
        if (n <= 0 || n % 8 != 0) {
          throw new Unchecked("/proc/PID/pagemap ended early");
        }
        for (int i = 0; i < n; i += 8) {
          long e = entries.getLong(i);
          checked++;
          if ((e & (PRESENT | SWAPPED)) != 0) {
            present++;
            if ((e & FILE_PAGE) == 0) {
              modified++;
            }
          }
        }
        page += n / 8;
      }
      checkedUpTo = Math.max(checkedUpTo, to);
    }
    return new Pages(checked, present, modified);
  }

  /** Pages compared, of those the ones in memory (or swap), and of those the copies. */
  record Pages(long checked, long present, long modified) {}

  /** Why the pages could not be compared. */
  static final class Unchecked extends Exception {
    private static final long serialVersionUID = 1L;

    Unchecked(String message) {
      super(message);
    }
  }

  /**
   * One line of {@code maps} that maps {@code exe}: {start, end, offset, writable}; null for any other.
   * Its device is {@code major:minor} in hex, compared in glibc's {@code makedev} encoding.
   */
  static long[] parse(String line, FileIdentity exe) {
    String[] f = line.trim().split("\\s+", 6);
    if (f.length < 5 || f[1].length() < 4) {
      return null;
    }
    try {
      if (Long.parseLong(f[4]) != exe.inode()) {
        return null;
      }
      int colon = f[3].indexOf(':');
      int dash = f[0].indexOf('-');
      if (colon < 0 || dash < 0) {
        return null;
      }
      long major = Long.parseLong(f[3], 0, colon, 16);
      long minor = Long.parseLong(f[3], colon + 1, f[3].length(), 16);
      long device = (major & 0xfffff000L) << 32 | (major & 0xfffL) << 8 | (minor & 0xffffff00L) << 12
          | minor & 0xffL;
      if (device != exe.device()) {
        return null;
      }
      long start = Long.parseUnsignedLong(f[0], 0, dash, 16);
      long end = Long.parseUnsignedLong(f[0], dash + 1, f[0].length(), 16);
      long offset = Long.parseUnsignedLong(f[2], 16);
      if (start < 0 || end <= start || offset < 0) {
        return null;
      }
      // a shared mapping writes through to the file (whose identity then changes): only private
      // ones keep copies, and only those nobody may write are held to the file's content
      boolean writable = f[1].charAt(1) == 'w' || f[1].charAt(3) != 'p';
      return new long[] {start, end, offset, writable ? 1 : 0};
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return null;
    }
  }
}
