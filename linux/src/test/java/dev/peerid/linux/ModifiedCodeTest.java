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

  @Test
  void entriesNameThePathAndTheCause() {
    assertTrue(ModifiedCode.modified(PATH, 1).startsWith("modified:" + PATH + " (1 page "));
    assertTrue(ModifiedCode.modified(PATH, 2).contains("/proc/PID/mem"));
    assertTrue(ModifiedCode.unchecked(PATH, "why").startsWith("unchecked:" + PATH + " ("));
  }
}
