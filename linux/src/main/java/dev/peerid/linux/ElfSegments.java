package dev.peerid.linux;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where an ELF executable keeps code and constants that nothing may write once it runs: the pages of
 * its non-writable {@code PT_LOAD} segments, less any page a writable segment or {@code
 * PT_GNU_RELRO} touches (the dynamic loader writes relocations there before it makes them read-only,
 * so those pages legitimately stop being copies of the file). Parsed from the ELF header and program
 * headers only (ELF32 and ELF64, either byte order); anything else is {@link Unreadable}.
 *
 * <p>Addresses are the file's own virtual addresses (before the load bias), aligned to the page size.
 */
final class ElfSegments {
  /** How much of the file is read for its headers: program headers come first in every linker's output. */
  static final int HEADER_BYTES = 64 * 1024;
  /** More load segments than any linker writes: the file is not an ordinary executable. */
  static final int MAX_LOADS = 64;

  private static final int PT_LOAD = 1;
  private static final int PT_GNU_RELRO = 0x6474e552;
  private static final int PF_W = 2;
  private static final int ET_EXEC = 2;
  private static final int ET_DYN = 3;
  /** Addresses past this are not user space on any Linux; it also keeps the arithmetic from overflowing. */
  private static final long MAX_ADDRESS = 1L << 57;

  /**
   * A page range of read-only code or constants, in the file's virtual addresses, and how far its file
   * offsets are from them ({@code fileOffset = vaddr + fileDelta}).
   */
  record Checked(long start, long end, long fileDelta) {}

  private final boolean fixedAddress;
  private final long firstVaddr;
  private final long firstOffset;
  private final List<Checked> checked;

  private ElfSegments(boolean fixedAddress, long firstVaddr, long firstOffset, List<Checked> checked) {
    this.fixedAddress = fixedAddress;
    this.firstVaddr = firstVaddr;
    this.firstOffset = firstOffset;
    this.checked = List.copyOf(checked);
  }

  /** True for {@code ET_EXEC}: loaded at its own addresses (load bias 0). */
  boolean fixedAddress() {
    return fixedAddress;
  }

  /** The page-aligned virtual address of the lowest load segment: where the load bias is measured from. */
  long firstVaddr() {
    return firstVaddr;
  }

  /** The page-aligned file offset that segment maps from (0 for every usual layout). */
  long firstOffset() {
    return firstOffset;
  }

  /** The pages to compare with the file, sorted and disjoint. */
  List<Checked> checked() {
    return checked;
  }

  /** The headers cannot be read: what the file is cannot be told from them. */
  static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean truncated;

    Unreadable(String message) {
      this(message, false);
    }

    Unreadable(String message, boolean truncated) {
      super(message);
      this.truncated = truncated;
    }

    /** True when more of the file might have answered. */
    boolean truncated() {
      return truncated;
    }
  }

  /**
   * Parses {@code b[0, length)}, the start of the file.
   *
   * @param pageSize the system's page size (a power of two)
   */
  static ElfSegments parse(byte[] b, int length, long pageSize) throws Unreadable {
    if (length < 0 || length > b.length) {
      throw new IllegalArgumentException("length " + length + " outside a buffer of " + b.length);
    }
    if (pageSize < 1024 || Long.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException("page size " + pageSize);
    }
    if (length < 6 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
      throw new Unreadable("not an ELF file");
    }
    boolean wide = switch (b[4]) {
      case 1 -> false;
      case 2 -> true;
      default -> throw new Unreadable("unknown ELF class " + b[4]);
    };
    boolean big = switch (b[5]) {
      case 1 -> false;
      case 2 -> true;
      default -> throw new Unreadable("unknown ELF byte order " + b[5]);
    };
    Reader r = new Reader(b, length, big);
    if (length < (wide ? 64 : 52)) {
      throw new Unreadable("truncated ELF header", true);
    }
    int type = r.u16(16);
    if (type != ET_EXEC && type != ET_DYN) {
      throw new Unreadable("ELF type " + type + " is neither an executable nor a position-independent one");
    }
    long phoff = wide ? r.u64(32) : r.u32(28);
    int phentsize = r.u16(wide ? 54 : 42);
    int phnum = r.u16(wide ? 56 : 44);
    int minEntry = wide ? 56 : 32;
    if (phnum == 0 || phnum == 0xffff) {
      throw new Unreadable("no program headers in the ELF header (" + phnum + ")");
    }
    if (phentsize < minEntry) {
      throw new Unreadable("program header entries of " + phentsize + " bytes");
    }
    if (phoff < 0 || phoff > length || (long) phnum * phentsize > length - phoff) {
      throw new Unreadable("the program headers (" + phnum + " at " + phoff + ") are not in the first "
          + length + " bytes", true);
    }
    List<long[]> loads = new ArrayList<>(); // {vaddr, offset, filesz, memsz, writable}
    List<long[]> excluded = new ArrayList<>(); // page ranges nothing checks
    for (int i = 0; i < phnum; i++) {
      int at = (int) (phoff + (long) i * phentsize);
      long ptype = r.u32(at);
      if (ptype != PT_LOAD && ptype != PT_GNU_RELRO) {
        continue;
      }
      long flags = wide ? r.u32(at + 4) : r.u32(at + 24);
      long offset = wide ? r.u64(at + 8) : r.u32(at + 4);
      long vaddr = wide ? r.u64(at + 16) : r.u32(at + 8);
      long filesz = wide ? r.u64(at + 32) : r.u32(at + 16);
      long memsz = wide ? r.u64(at + 40) : r.u32(at + 20);
      if (outside(vaddr) || outside(memsz) || outside(offset) || outside(filesz) || outside(vaddr + memsz)
          || filesz > memsz && ptype == PT_LOAD) {
        throw new Unreadable("program header " + i + " has impossible sizes or addresses");
      }
      long start = down(vaddr, pageSize);
      if (ptype == PT_GNU_RELRO) {
        excluded.add(new long[] {start, up(vaddr + memsz, pageSize)});
        continue;
      }
      if (loads.size() == MAX_LOADS) {
        throw new Unreadable("more than " + MAX_LOADS + " load segments");
      }
      if ((vaddr - offset) % pageSize != 0) {
        throw new Unreadable("load segment " + i + " is not aligned as mmap needs");
      }
      boolean writable = (flags & PF_W) != 0;
      loads.add(new long[] {vaddr, offset, filesz, memsz, writable ? 1 : 0});
      if (writable) {
        excluded.add(new long[] {start, up(vaddr + memsz, pageSize)});
      }
    }
    if (loads.isEmpty()) {
      throw new Unreadable("no load segments");
    }
    long[] first = loads.stream().min(Comparator.comparingLong(l -> l[0])).orElseThrow();
    List<Checked> checked = new ArrayList<>();
    for (long[] l : loads) {
      if (l[4] != 0) {
        continue;
      }
      long start = down(l[0], pageSize);
      // past filesz the loader maps zeroes (and glibc writes the rest of the last file page): only
      // the pages entirely backed by the file are copies of it
      long end = l[3] > l[2] ? down(l[0] + l[2], pageSize) : up(l[0] + l[2], pageSize);
      long delta = down(l[1], pageSize) - start;
      List<long[]> parts = new ArrayList<>(List.of(new long[] {start, end}));
      for (long[] x : excluded) {
        parts = subtract(parts, x[0], x[1]);
      }
      for (long[] p : parts) {
        if (p[1] > p[0]) {
          checked.add(new Checked(p[0], p[1], delta));
        }
      }
    }
    checked.sort(Comparator.comparingLong(Checked::start));
    // two read-only segments on one page (a linker packing them) would be checked twice: merge
    List<Checked> disjoint = new ArrayList<>();
    for (Checked c : checked) {
      Checked last = disjoint.isEmpty() ? null : disjoint.get(disjoint.size() - 1);
      if (last != null && c.start() < last.end()) {
        if (c.end() > last.end()) {
          disjoint.add(new Checked(last.end(), c.end(), c.fileDelta()));
        }
      } else {
        disjoint.add(c);
      }
    }
    return new ElfSegments(type == ET_EXEC, down(first[0], pageSize), down(first[1], pageSize), disjoint);
  }

  private static List<long[]> subtract(List<long[]> ranges, long from, long to) {
    List<long[]> out = new ArrayList<>();
    for (long[] r : ranges) {
      if (to <= r[0] || from >= r[1]) {
        out.add(r);
        continue;
      }
      if (from > r[0]) {
        out.add(new long[] {r[0], from});
      }
      if (to < r[1]) {
        out.add(new long[] {to, r[1]});
      }
    }
    return out;
  }

  private static boolean outside(long value) {
    return value < 0 || value > MAX_ADDRESS;
  }

  private static long down(long value, long pageSize) {
    return value & -pageSize;
  }

  private static long up(long value, long pageSize) {
    return (value + pageSize - 1) & -pageSize;
  }

  /** Unsigned fields of either byte order, bounds-checked against the bytes read. */
  private record Reader(byte[] b, int length, boolean big) {
    int u16(int at) throws Unreadable {
      return (int) bytes(at, 2);
    }

    long u32(int at) throws Unreadable {
      return bytes(at, 4);
    }

    long u64(int at) throws Unreadable {
      return bytes(at, 8); // a negative result (top bit set) is rejected by the caller as impossible
    }

    private long bytes(int at, int n) throws Unreadable {
      if (at < 0 || at > length - n) {
        throw new Unreadable("truncated ELF header", true);
      }
      long v = 0;
      for (int i = 0; i < n; i++) {
        int shift = big ? 8 * (n - 1 - i) : 8 * i;
        v |= (b[at + i] & 0xffL) << shift;
      }
      return v;
    }
  }
}
