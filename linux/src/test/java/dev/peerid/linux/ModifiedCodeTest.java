package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.FileIdentity;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which pages of an executable's mappings are compared, and how pagemap entries are read, on maps
 * text and pagemap entries written here (the live cases are in {@link ModifiedCodeLiveTest} and
 * the attack tests).
 */
class ModifiedCodeTest {
  private static final long PAGE = 4096;
  private static final long BASE = 0x555555554000L;
  /** Device 259:3 (0x103:03) in glibc's makedev encoding, inode 1234. */
  private static final FileIdentity EXE = new FileIdentity((0x103L << 8) | 3, 1234, 0, 0, 0);
  private static final String PATH = "/opt/vendor/client";

  private static final String MAPS = String.join("\n",
      line(BASE, BASE + 0x1000, "r--p", 0, PATH),
      line(BASE + 0x1000, BASE + 0x2000, "r-xp", 0x1000, PATH),
      line(BASE + 0x2000, BASE + 0x3000, "r--p", 0x2000, PATH),
      line(BASE + 0x3000, BASE + 0x4000, "r--p", 0x2000, PATH), // RELRO, made read-only after relocation
      line(BASE + 0x4000, BASE + 0x5000, "rw-p", 0x3000, PATH),
      "555555559000-55555557a000 rw-p 00000000 00:00 0                          [heap]",
      line(0x7f0000000000L, 0x7f0000001000L, "r--p", 0, "/usr/lib/libc.so.6").replace(" 1234 ", " 99 "),
      "");

  private final Map<Long, Long> entries = new HashMap<>();

  private static String line(long start, long end, String perms, long offset, String path) {
    return String.format("%x-%x %s %08x 103:03 1234                      %s", start, end, perms, offset, path);
  }

  private static ElfSegments parse(byte[] b) throws ElfSegments.Unreadable {
    return ElfSegments.parse(b, b.length, PAGE);
  }

  private static ElfSegments pie() throws ElfSegments.Unreadable {
    return parse(ElfSegmentsTest.elf(true, false, 3, List.of(
        new ElfSegmentsTest.Ph(1, 4, 0, 0, 0x6a8, 0x6a8),
        new ElfSegmentsTest.Ph(1, 5, 0x1000, 0x1000, 0x1f5, 0x1f5),
        new ElfSegmentsTest.Ph(1, 4, 0x2000, 0x2000, 0x14c, 0x14c),
        new ElfSegmentsTest.Ph(1, 6, 0x2db8, 0x3db8, 0x260, 0x268),
        new ElfSegmentsTest.Ph(0x6474e552, 4, 0x2db8, 0x3db8, 0x248, 0x248))));
  }

  private ModifiedCode.Pagemap pagemap() {
    return (offset, buf, length) -> {
      ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
      for (int i = 0; i < length; i += 8) {
        b.putLong(i, entries.getOrDefault((offset + i) / 8, 0L));
      }
      return length;
    };
  }

  private void page(long address, long flags) {
    entries.put(address / PAGE, flags | 0x1234L);
  }

  private ModifiedCode.Pages pages(String maps) throws Exception {
    return ModifiedCode.modifiedPages(maps, EXE, pie(), PAGE, pagemap());
  }

  @Test
  void filePagesAreTheFilesAndUntouchedPagesAreNotLookedAtFurther() throws Exception {
    page(BASE, ModifiedCode.PRESENT | ModifiedCode.FILE_PAGE);
    page(BASE + 0x1000, ModifiedCode.PRESENT | ModifiedCode.FILE_PAGE);
    assertEquals(new ModifiedCode.Pages(3, 2, 0), pages(MAPS));
  }

  @Test
  void anonymousCopiesOfCodeOrConstantsAreModified() throws Exception {
    page(BASE + 0x1000, ModifiedCode.PRESENT);
    page(BASE + 0x2000, ModifiedCode.SWAPPED);
    assertEquals(new ModifiedCode.Pages(3, 2, 2), pages(MAPS));
  }

  @Test
  void relroWritableDataAndHeapCopiesAreExpected() throws Exception {
    page(BASE + 0x3000, ModifiedCode.PRESENT); // RELRO, relocated by the loader
    page(BASE + 0x4000, ModifiedCode.PRESENT); // .data
    page(BASE + 0x5000, ModifiedCode.PRESENT); // heap
    page(0x7f0000000000L, ModifiedCode.PRESENT); // not the executable
    assertEquals(0, pages(MAPS).modified());
  }

  @Test
  void anotherMappingOfTheFileThatDoesNotLineUpIsSkipped() throws Exception {
    // the program maps its own file once more, read-only, from offset 0x2000: nothing there is code
    String maps = MAPS + line(0x7f1000000000L, 0x7f1000002000L, "r--p", 0x2000, PATH) + "\n";
    page(0x7f1000000000L, ModifiedCode.PRESENT);
    page(0x7f1000001000L, ModifiedCode.PRESENT);
    assertEquals(0, pages(maps).modified());
  }

  @Test
  void anExecutableNotMappedCannotBeTold() {
    String elsewhere = MAPS.replace("103:03", "103:04");
    ModifiedCode.Unchecked e = assertThrows(ModifiedCode.Unchecked.class, () -> pages(elsewhere));
    assertTrue(e.getMessage().contains("not mapped"), e.getMessage());
  }

  @Test
  void tooMuchCodeIsNotCheckedPageByPage() throws Exception {
    ElfSegments huge = parse(ElfSegmentsTest.elf(true, false, 3, List.of(
        new ElfSegmentsTest.Ph(1, 5, 0, 0, ModifiedCode.MAX_CHECKED_BYTES + PAGE,
            ModifiedCode.MAX_CHECKED_BYTES + PAGE))));
    String maps = line(BASE, BASE + ModifiedCode.MAX_CHECKED_BYTES + PAGE, "r-xp", 0, PATH);
    assertThrows(ModifiedCode.Unchecked.class,
        () -> ModifiedCode.modifiedPages(maps, EXE, huge, PAGE, pagemap()));
  }

  @Test
  void anExecutableMappedOverAndOverIsNotComparedPieceByPiece() {
    StringBuilder maps = new StringBuilder(MAPS);
    for (long i = 0; i <= ModifiedCode.MAX_MAPPINGS; i++) {
      long at = 0x7f2000000000L + i * 0x2000;
      maps.append(line(at, at + 0x1000, "r--p", 0, PATH)).append('\n');
    }
    ModifiedCode.Unchecked e = assertThrows(ModifiedCode.Unchecked.class, () -> pages(maps.toString()));
    assertTrue(e.getMessage().contains("mapped more than"), e.getMessage());
  }

  @Test
  void aPagemapThatEndsEarlyCannotBeTold() {
    assertThrows(ModifiedCode.Unchecked.class,
        () -> ModifiedCode.modifiedPages(MAPS, EXE, pie(), PAGE, (offset, buf, length) -> 0));
  }

  @Test
  void mapsLinesAreMatchedByDeviceAndInode() {
    long[] m = ModifiedCode.parse(line(BASE, BASE + 0x1000, "r-xp", 0x1000, "/renamed (deleted)"), EXE);
    assertEquals(List.of(BASE, BASE + 0x1000, 0x1000L, 0L), List.of(m[0], m[1], m[2], m[3]));
    assertEquals(1, ModifiedCode.parse(line(BASE, BASE + 0x1000, "rw-p", 0, PATH), EXE)[3]);
    assertEquals(1, ModifiedCode.parse(line(BASE, BASE + 0x1000, "r-xs", 0, PATH), EXE)[3], "shared");
    assertNull(ModifiedCode.parse(line(BASE, BASE + 0x1000, "r-xp", 0, PATH).replace("103:03", "103:04"), EXE));
    assertNull(ModifiedCode.parse("garbage", EXE));
    assertNull(ModifiedCode.parse("zz-1 r-xp 0 103:03 1234 /x", EXE));
    assertNull(ModifiedCode.parse("2000-1000 r-xp 0 103:03 1234 /x", EXE));
  }

  private static final String LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
  private static final long LIBC_BASE = 0x7f0000000000L;

  /** A process's maps with a library's segments and every kind of line that is not library code. */
  private static final String LIBRARY_MAPS = String.join("\n",
      line(BASE, BASE + 0x1000, "r--p", 0, PATH),
      line(BASE + 0x1000, BASE + 0x2000, "r-xp", 0x1000, PATH), // the executable's code: checked on its own
      line(LIBC_BASE, LIBC_BASE + 0x28000, "r--p", 0, LIBC).replace(" 1234 ", " 99 "),
      line(LIBC_BASE + 0x28000, LIBC_BASE + 0x30000, "r-xp", 0x28000, LIBC).replace(" 1234 ", " 99 "),
      line(LIBC_BASE + 0x30000, LIBC_BASE + 0x34000, "r--p", 0x30000, LIBC).replace(" 1234 ", " 99 "),
      line(LIBC_BASE + 0x34000, LIBC_BASE + 0x35000, "rw-p", 0x34000, LIBC).replace(" 1234 ", " 99 "),
      "7f0000100000-7f0000101000 r-xp 00000000 00:00 0 ",                      // JIT code, anonymous
      "7f0000101000-7f0000102000 r-xp 00000000 00:00 0                          [vdso]",
      line(0x7f0000200000L, 0x7f0000201000L, "r-xp", 0x1000, "/tmp/gone.so (deleted)").replace(" 1234 ", " 7 "),
      line(0x7f0000202000L, 0x7f0000203000L, "r-xp", 0, "/memfd:code (deleted)").replace(" 1234 ", " 8 "),
      line(0x7f0000204000L, 0x7f0000205000L, "r-xs", 0, "/dev/shm/shared").replace(" 1234 ", " 9 "),
      line(0x7f0000206000L, 0x7f0000207000L, "rwxp", 0, "/opt/textrel.so").replace(" 1234 ", " 10 "),
      line(0x7f0000300000L, 0x7f0000301000L, "--xp", 0x1000, "/opt/execonly.so").replace(" 1234 ", " 11 "),
      // the same inode on another device is another file
      line(0x7f0000400000L, 0x7f0000401000L, "r-xp", 0x1000, "/mnt/other").replace("103:03", "103:04"),
      // a library loaded twice (another link-map namespace): both copies are its code
      line(0x7f0000500000L, 0x7f0000501000L, "r-xp", 0x28000, LIBC).replace(" 1234 ", " 99 "),
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
      "");

  @Test
  void libraryCodeIsTheirPrivateExecutableReadOnlyFileMappings() throws Exception {
    Map<String, java.util.NavigableMap<Long, Long>> code = ModifiedCode.libraryRanges(LIBRARY_MAPS, EXE);
    assertEquals(List.of(LIBC, "/opt/execonly.so", "/mnt/other"), List.copyOf(code.keySet()));
    assertEquals(Map.of(LIBC_BASE + 0x28000, LIBC_BASE + 0x30000, 0x7f0000500000L, 0x7f0000501000L), code.get(LIBC));
    assertEquals(Map.of(0x7f0000300000L, 0x7f0000301000L), code.get("/opt/execonly.so"));
  }

  @Test
  void mapsLinesThatAreNotLibraryCodeAreSkippedWithoutFailing() throws Exception {
    assertEquals(Map.of(), ModifiedCode.libraryRanges("", EXE));
    assertEquals(Map.of(), ModifiedCode.libraryRanges("garbage\nr-xp\nzz-1 r-xp 0 1:2 3 /x\n2000-1000 r-xp 0 1:2 3 /x\n"
        + "1000-2000 r-xp 0 1:2 x /x\n1000-2000 r-xp 0 nodevice 3 /x\n1000-2000 r-xp 0 1:2 3\n", EXE));
    assertEquals(Map.of("/x y", Map.of(0x1000L, 0x2000L)), ModifiedCode.libraryRanges("1000-2000 r-xp 0 1:2 3 /x y", EXE));
  }

  @Test
  void aWriteIntoALibrarysCodeIsReportedByItsPath() throws Exception {
    page(BASE + 0x1000, ModifiedCode.PRESENT | ModifiedCode.FILE_PAGE);
    page(LIBC_BASE, ModifiedCode.PRESENT); // constants: not looked at
    page(LIBC_BASE + 0x28000, ModifiedCode.PRESENT | ModifiedCode.FILE_PAGE);
    page(LIBC_BASE + 0x29000, ModifiedCode.PRESENT);
    page(LIBC_BASE + 0x34000, ModifiedCode.PRESENT); // its data
    page(0x7f0000100000L, ModifiedCode.PRESENT); // JIT code
    page(0x7f0000101000L, ModifiedCode.PRESENT); // the vdso is no file's
    page(0x7f0000500000L, ModifiedCode.SWAPPED); // the second copy
    List<ModifiedCode.Target> targets = new java.util.ArrayList<>();
    targets.add(new ModifiedCode.Target(PATH, true, ModifiedCode.executableRanges(LIBRARY_MAPS, EXE, pie())));
    ModifiedCode.libraryRanges(LIBRARY_MAPS, EXE).forEach((p, r) -> targets.add(new ModifiedCode.Target(p, false, r)));
    ModifiedCode.Report report = ModifiedCode.compare(targets, PAGE, pagemap());
    assertEquals(List.of(ModifiedCode.modified(LIBC, 2, false)), report.entries());
    assertEquals(new ModifiedCode.Pages(9, 3, 2), report.compared().get(LIBC));
    assertEquals(new ModifiedCode.Pages(2, 1, 0), report.compared().get(PATH));
    assertEquals(List.of(PATH, LIBC, "/opt/execonly.so", "/mnt/other"), List.copyOf(report.compared().keySet()));
  }

  @Test
  void theBudgetIsSharedByTheExecutableAndItsLibraries() throws Exception {
    long exeEnd = BASE + ModifiedCode.MAX_CHECKED_BYTES - PAGE;
    List<ModifiedCode.Target> targets = List.of(
        new ModifiedCode.Target(PATH, true, new java.util.TreeMap<>(Map.of(BASE, exeEnd))),
        new ModifiedCode.Target(LIBC, false, new java.util.TreeMap<>(Map.of(LIBC_BASE, LIBC_BASE + PAGE))),
        new ModifiedCode.Target("/usr/lib/libm.so.6", false, new java.util.TreeMap<>(Map.of(0x7f1000000000L, 0x7f1000001000L))),
        new ModifiedCode.Target("/usr/lib/libz.so.1", false, new java.util.TreeMap<>(Map.of(0x7f2000000000L, 0x7f2000001000L))));
    ModifiedCode.Report report = ModifiedCode.compare(targets, PAGE, pagemap());
    assertEquals(List.of(PATH, LIBC), List.copyOf(report.compared().keySet()), "the budget fits exactly the first two");
    assertEquals(1, report.entries().size(), report.entries().toString());
    String entry = report.entries().get(0);
    assertTrue(entry.startsWith("unchecked:/usr/lib/libm.so.6 (") && entry.contains("1 more files not compared"), entry);
  }

  @Test
  void aProcessWithTooMuchLibraryCodeMappedIsNotComparedPieceByPiece() {
    StringBuilder maps = new StringBuilder();
    for (long i = 0; i <= ModifiedCode.MAX_LIBRARY_MAPPINGS; i++) {
      long at = 0x7f2000000000L + i * 0x2000;
      maps.append(line(at, at + 0x1000, "r-xp", 0, "/usr/lib/libm.so.6").replace(" 1234 ", " 5 ")).append('\n');
    }
    ModifiedCode.Unchecked e = assertThrows(ModifiedCode.Unchecked.class,
        () -> ModifiedCode.libraryRanges(maps.toString(), EXE));
    assertTrue(e.getMessage().contains("more than " + ModifiedCode.MAX_LIBRARY_MAPPINGS), e.getMessage());
  }

  @Test
  void nearbyRangesShareAReadAndFarOnesDoNot() throws Exception {
    List<long[]> reads = new java.util.ArrayList<>();
    ModifiedCode.Pagemap inner = pagemap();
    ModifiedCode.Pagemap counting = (offset, buf, length) -> {
      reads.add(new long[] {offset / 8, length / 8});
      return inner.read(offset, buf, length);
    };
    long a = 0x7f0000000000L;
    page(a + 0x1000, ModifiedCode.PRESENT); // in the gap between the first two: read, not counted
    page(a + 0x2000, ModifiedCode.PRESENT);
    page(a + 0x900000, ModifiedCode.SWAPPED);
    List<java.util.NavigableMap<Long, Long>> sets = List.of(
        new java.util.TreeMap<>(Map.of(a, a + 0x1000, a + 0x900000, a + 0x902000)),
        new java.util.TreeMap<>(Map.of(a + 0x2000, a + 0x4000, a + 0x3000, a + 0x5000))); // overlapping: once
    ModifiedCode.Pages[] pages = ModifiedCode.count(sets, PAGE, counting);
    assertEquals(new ModifiedCode.Pages(3, 1, 1), pages[0]);
    assertEquals(new ModifiedCode.Pages(3, 1, 1), pages[1]);
    assertEquals(2, reads.size(), "one read for the first two ranges, one for the far one");
    assertEquals(List.of(a / PAGE, 5L), List.of(reads.get(0)[0], reads.get(0)[1]));
    assertEquals(List.of((a + 0x900000) / PAGE, 2L), List.of(reads.get(1)[0], reads.get(1)[1]));
  }

  @Test
  void entriesNameThePathAndTheCause() {
    assertTrue(ModifiedCode.modified(PATH, 1, true).startsWith("modified:" + PATH + " (1 page of its code or "));
    assertTrue(ModifiedCode.modified(PATH, 2, true).contains("/proc/PID/mem"));
    assertTrue(ModifiedCode.modified("/usr/lib/libc.so.6", 3, false)
        .startsWith("modified:/usr/lib/libc.so.6 (3 pages of its code modified in memory"));
    assertTrue(ModifiedCode.unchecked(PATH, "why").startsWith("unchecked:" + PATH + " ("));
  }
}
