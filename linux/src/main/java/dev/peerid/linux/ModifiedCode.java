package dev.peerid.linux;

import dev.peerid.FileIdentity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds pages of a process's executable, and of its libraries' code, that in memory are no longer
 * the file's. A read-only private file mapping holds page-cache pages of the file; a write into it
 * (through {@code /proc/<pid>/mem}, which may write where the process may not, or a debugger's
 * {@code PTRACE_POKETEXT}, or a uprobe) copies the page first, and the copy is an anonymous page.
 * {@code /proc/<pid>/pagemap} tells the two apart for every page without reading any of them: bit
 * 63 present, bit 62 swapped, bit 61 a file page (flags stay visible to readers without {@code
 * CAP_SYS_ADMIN}; only the frame numbers are zeroed). A page present or swapped without bit 61 is a
 * copy. Pages never touched are not present and will be read from the file: they are fine. A
 * transparent huge page of file text is still a file page.
 *
 * <p>Looked at: the executable's non-writable load segments outside {@code PT_GNU_RELRO} (see
 * {@link ElfSegments}; every other page of an executable is written legitimately), and every
 * private, executable, non-writable file mapping of a library, whole ({@link #libraryRanges}: code
 * holds no RELRO, so no ELF is read for it). One budget of {@value #MAX_CHECKED_BYTES} bytes covers
 * a process's executable and libraries together; what is past it is reported unchecked. Misses
 * writes into anything else: libraries' constants and other read-only segments ({@code r--p}: the
 * loader relocates their RELRO, and telling which pages are RELRO would mean reading every
 * library's headers), writable data (a GOT without RELRO, a function pointer), the heap, the stack,
 * anonymous or JIT memory, deleted or memfd libraries (reported by {@link MappedLibraries} instead),
 * code loaded after the check, and any write after it. Reports, rightly but perhaps unexpectedly, a
 * file with text relocations ({@code TEXTREL}: the loader writes into its code) and one with an
 * active uprobe (a system-wide tracer probing libc reports libc in every peer). {@code pagemap}
 * cannot be opened without privilege on Linux 4.0 and 4.1: there every peer is reported unchecked.
 */
final class ModifiedCode {
  /**
   * More code than this per process (the executable's and its libraries' together) is not checked
   * page by page: what is past it is reported as not checked.
   */
  static final long MAX_CHECKED_BYTES = 64L << 20;

  static final long PRESENT = 1L << 63;
  static final long SWAPPED = 1L << 62;
  static final long FILE_PAGE = 1L << 61;
  private static final int ENTRIES_PER_READ = 1024;
  /**
   * Pages between two ranges read along rather than apart: a read costs about what 40 entries do
   * (≈ 0.4 µs against ≈ 10–15 ns each, most of them pages in memory; measured with curl as the peer).
   */
  private static final int MAX_GAP = 32;
  /**
   * A loader maps an executable in a handful of pieces; a peer that maps its own file thousands of
   * times must not make the server compare every piece with every other (the work is their product).
   */
  static final int MAX_MAPPINGS = 256;
  private static final int MAX_BIASES = 8;
  /**
   * A process maps a few hundred pieces of library code at most; one that maps thousands (each
   * costs a range to sort and, far from the others, a read) is not compared.
   */
  static final int MAX_LIBRARY_MAPPINGS = 1024;

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
   * The risk entries for the code of {@code pid}'s executable and libraries: none when every
   * checked page is the file's, a {@link #modified} entry per file with pages that are not, an
   * {@link #unchecked} entry where it cannot be told (never silently nothing). Throws what reading
   * {@code /proc} throws otherwise (the process exited).
   *
   * @param maps the text of {@code /proc/<pid>/maps}, read after {@code identity}
   */
  List<String> check(ProcFs proc, long pid, String maps, String exePath, FileIdentity identity) throws IOException {
    return report(proc, pid, maps, exePath, identity).entries();
  }

  /** {@link #check}, with what was compared. */
  Report report(ProcFs proc, long pid, String maps, String exePath, FileIdentity identity) throws IOException {
    List<String> entries = new ArrayList<>();
    List<Target> targets = new ArrayList<>();
    try {
      targets.add(new Target(exePath, true, executableRanges(maps, identity, segments(proc, pid, identity))));
    } catch (ElfSegments.Unreadable e) {
      entries.add(unchecked(exePath, "its ELF program headers cannot be read: " + e.getMessage()));
    } catch (Unchecked e) {
      entries.add(unchecked(exePath, e.getMessage()));
    }
    try {
      libraryRanges(maps, identity).forEach((path, ranges) -> targets.add(new Target(path, false, ranges)));
    } catch (Unchecked e) {
      entries.add(unchecked(exePath, "its libraries: " + e.getMessage()));
    }
    try {
      Report r = proc.withPagemap(pid, pagemap -> compare(targets, proc.pageSize(), pagemap));
      entries.addAll(r.entries());
      return new Report(entries, r.compared());
    } catch (AccessDeniedException e) {
      entries.add(unchecked(exePath, "/proc/" + pid + "/pagemap is not readable by this process"));
      return new Report(entries, Map.of());
    }
  }

  /** The ranges of one file to hold to its pages: the executable's, or a library's code. */
  record Target(String path, boolean executable, NavigableMap<Long, Long> ranges) {}

  /** The risk entries, and the pages compared per file. */
  record Report(List<String> entries, Map<String, Pages> compared) {
    Report {
      entries = List.copyOf(entries);
      compared = Collections.unmodifiableMap(new LinkedHashMap<>(compared));
    }
  }

  /**
   * Compares the targets in order (the executable first, then the libraries as they are mapped)
   * within one budget of {@value #MAX_CHECKED_BYTES} bytes per process: the bound is on the
   * server's work per peer, which a peer mapping many large libraries must not multiply. Once it
   * is spent, the next file is reported unchecked (with the count of those left after it).
   */
  static Report compare(List<Target> targets, long pageSize, Pagemap pagemap) throws IOException {
    List<String> entries = new ArrayList<>();
    List<Target> within = new ArrayList<>();
    long left = MAX_CHECKED_BYTES;
    for (Target t : targets) {
      long bytes = bytes(t.ranges());
      if (bytes > left) {
        int more = targets.size() - within.size() - 1;
        entries.add(unchecked(t.path(), "the process maps more than " + (MAX_CHECKED_BYTES >> 20)
            + " MiB of code, the most compared per peer" + (more == 0 ? "" : "; " + more + " more files not compared")));
        break;
      }
      left -= bytes;
      within.add(t);
    }
    Map<String, Pages> compared = new LinkedHashMap<>();
    Pages[] pages;
    try {
      pages = count(within.stream().map(Target::ranges).toList(), pageSize, pagemap);
    } catch (Unchecked e) {
      entries.add(unchecked(within.get(0).path(), e.getMessage() + "; nor the other " + (within.size() - 1)
          + " files' code"));
      return new Report(entries, compared);
    }
    for (int i = 0; i < within.size(); i++) {
      Target t = within.get(i);
      compared.merge(t.path(), pages[i], Pages::plus);
      if (pages[i].modified() > 0) {
        entries.add(modified(t.path(), pages[i].modified(), t.executable()));
      }
    }
    return new Report(entries, compared);
  }

  /** The executable's segments, read once per file identity. */
  private ElfSegments segments(ProcFs proc, long pid, FileIdentity identity) throws IOException, ElfSegments.Unreadable {
    ElfSegments elf = segments.get(identity);
    if (elf == null) {
      elf = readSegments(proc, pid, identity);
      if (segments.size() >= MAX_REMEMBERED) {
        segments.clear();
      }
      // the identity includes size, mtime and ctime: a file changed in place gets another key
      segments.put(identity, elf);
    }
    return elf;
  }

  private static ElfSegments readSegments(ProcFs proc, long pid, FileIdentity identity)
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

  /** A risk entry naming an executable or library whose code in memory differs from the file. */
  static String modified(String path, long pages, boolean executable) {
    return "modified:" + path + " (" + pages + (pages == 1 ? " page" : " pages")
        + (executable ? " of its code or constants" : " of its code")
        + " modified in memory: a debugger's breakpoint, a uprobe, or a write through /proc/PID/mem)";
  }

  /** A risk entry for an executable or library whose code in memory could not be compared with the file. */
  static String unchecked(String path, String why) {
    return "unchecked:" + path + " (whether its code was modified in memory cannot be told: " + why + ")";
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
    return compare(executableRanges(maps, exe, elf), pageSize, pagemap);
  }

  /**
   * The address ranges of the executable to compare, start to end: its read-only mappings where
   * they map the file offsets its read-only segments outside RELRO say (an unrelated mapping of the
   * same file elsewhere does not line up and is skipped).
   *
   * @throws Unchecked when its first load segment is not mapped, or it is mapped too often
   */
  static NavigableMap<Long, Long> executableRanges(String maps, FileIdentity exe, ElfSegments elf) throws Unchecked {
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
    TreeMap<Long, Long> ranges = new TreeMap<>();
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
    return ranges;
  }

  /**
   * The code mappings of every library in {@code maps}, by path in the order they are mapped: the
   * private file mappings that are executable and not writable. Nothing but a write into memory
   * makes a page of those a copy: text segments hold no RELRO, and the loader writes none of them
   * (but for a library with text relocations, rare and worth reporting). Left out: the executable
   * (its own ranges are {@link #executableRanges}), anonymous and kernel mappings ({@code [vdso]}
   * pages are no file's), shared mappings, writable ones, and deleted files and memfds (already
   * reported by {@link MappedLibraries}, and named by no path that means anything).
   *
   * @throws Unchecked when more than {@value #MAX_LIBRARY_MAPPINGS} mappings are code
   */
  static Map<String, NavigableMap<Long, Long>> libraryRanges(String maps, FileIdentity exe) throws Unchecked {
    Map<String, NavigableMap<Long, Long>> libraries = new LinkedHashMap<>();
    int count = 0;
    for (int at = 0, next; at < maps.length(); at = next + 1) {
      next = maps.indexOf('\n', at);
      if (next < 0) {
        next = maps.length();
      }
      LibraryCode code = LibraryCode.parse(maps, at, next, exe);
      if (code == null) {
        continue;
      }
      if (++count > MAX_LIBRARY_MAPPINGS) {
        throw new Unchecked("it maps more than " + MAX_LIBRARY_MAPPINGS + " pieces of library code");
      }
      libraries.computeIfAbsent(code.path(), p -> new TreeMap<>()).merge(code.start(), code.end(), Math::max);
    }
    return libraries;
  }

  /**
   * Compares every range with the file: how many pages were looked at, were in memory, and are copies.
   *
   * @param ranges start to end, page-aligned (overlaps are read once)
   * @throws Unchecked when they hold more than {@value #MAX_CHECKED_BYTES} bytes, or {@code pagemap} ends early
   */
  static Pages compare(NavigableMap<Long, Long> ranges, long pageSize, Pagemap pagemap) throws Unchecked, IOException {
    if (bytes(ranges) > MAX_CHECKED_BYTES) {
      throw new Unchecked("more than " + (MAX_CHECKED_BYTES >> 20) + " MiB of code");
    }
    return count(List.of(ranges), pageSize, pagemap)[0];
  }

  /**
   * The pages of each set of ranges. A process's libraries lie close together, their code between
   * their constants and data: ranges that start within one read's reach of the first share that
   * read (a read costs far more than the entries it copies), and a page in two ranges counts once.
   */
  static Pages[] count(List<NavigableMap<Long, Long>> sets, long pageSize, Pagemap pagemap)
      throws Unchecked, IOException {
    List<long[]> spans = new ArrayList<>(); // {first page, end page, set}
    for (int i = 0; i < sets.size(); i++) {
      for (var r : sets.get(i).entrySet()) {
        spans.add(new long[] {r.getKey() / pageSize, r.getValue() / pageSize, i});
      }
    }
    spans.sort((x, y) -> Long.compare(x[0], y[0]));
    long[][] counts = new long[sets.size()][3];
    byte[] buf = new byte[ENTRIES_PER_READ * 8];
    ByteBuffer entries = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
    long readFrom = 0;
    long readTo = 0; // the pages whose entries are in buf
    long countedTo = Long.MIN_VALUE;
    for (int s = 0; s < spans.size(); s++) {
      long[] span = spans.get(s);
      long[] c = counts[(int) span[2]];
      for (long page = Math.max(span[0], countedTo); page < span[1]; page++) {
        if (page >= readTo) {
          // read up to the end of the last span that starts within reach, and no further
          long reach = page + ENTRIES_PER_READ;
          long until = span[1];
          for (int t = s + 1; t < spans.size() && spans.get(t)[0] < reach && spans.get(t)[0] - until <= MAX_GAP; t++) {
            until = Math.max(until, spans.get(t)[1]);
          }
          int n = pagemap.read(page * 8, buf, (int) (Math.min(until, reach) - page) * 8);
          if (n <= 0 || n % 8 != 0) {
            throw new Unchecked("/proc/PID/pagemap ended early");
          }
          readFrom = page;
          readTo = page + n / 8;
        }
        long e = entries.getLong((int) (page - readFrom) * 8);
        c[0]++;
        if ((e & (PRESENT | SWAPPED)) != 0) {
          c[1]++;
          if ((e & FILE_PAGE) == 0) {
            c[2]++;
          }
        }
      }
      countedTo = Math.max(countedTo, span[1]);
    }
    Pages[] out = new Pages[sets.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = new Pages(counts[i][0], counts[i][1], counts[i][2]);
    }
    return out;
  }

  /** The bytes the ranges span (overlaps count twice: a bound, not a size). */
  static long bytes(NavigableMap<Long, Long> ranges) {
    long total = 0;
    for (var r : ranges.entrySet()) {
      total += r.getValue() - r.getKey();
    }
    return total;
  }

  /** One code mapping of a library: {@code start-end r-xp offset dev inode /path}. */
  record LibraryCode(long start, long end, String path) {
    /**
     * The mapping on {@code maps[from, to)}, or null when that line is anything else (or maps
     * {@code exe}). Parsed by hand, cheapest test first: most of a process's lines are not code.
     */
    static LibraryCode parse(String maps, int from, int to, FileIdentity exe) {
      String perms = MapsLine.perms(maps, from, to);
      if (perms == null || perms.charAt(2) != 'x' || perms.charAt(1) == 'w' || perms.charAt(3) != 'p') {
        return null;
      }
      MapsLine m = MapsLine.parse(maps, from, to);
      if (m == null || !m.path().startsWith("/") || m.path().endsWith(" (deleted)")) {
        return null; // anonymous, [vdso], a deleted file or a memfd
      }
      if (m.inode() == 0 || m.inode() == exe.inode() && m.device() == exe.device()) {
        return null;
      }
      return new LibraryCode(m.start(), m.end(), m.path());
    }
  }

  /** Pages compared, of those the ones in memory (or swap), and of those the copies. */
  record Pages(long checked, long present, long modified) {
    Pages plus(Pages o) {
      return new Pages(checked + o.checked, present + o.present, modified + o.modified);
    }
  }

  /** Why the pages could not be compared. */
  static final class Unchecked extends Exception {
    private static final long serialVersionUID = 1L;

    Unchecked(String message) {
      super(message);
    }
  }

  /** One line of {@code maps} that maps {@code exe}: {start, end, offset, writable}; null for any other. */
  static long[] parse(String line, FileIdentity exe) {
    MapsLine m = MapsLine.parse(line);
    if (m == null || m.inode() != exe.inode() || m.device() != exe.device()) {
      return null;
    }
    // a shared mapping writes through to the file (whose identity then changes): only private
    // ones keep copies, and only those nobody may write are held to the file's content
    boolean writable = m.writable() || !m.isPrivate();
    return new long[] {m.start(), m.end(), m.offset(), writable ? 1 : 0};
  }
}
