package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load-segment parser on headers written here field by field, and on a real executable. */
class ElfSegmentsTest {
  private static final long PAGE = 4096;
  private static final int PT_LOAD = 1;
  private static final int PT_GNU_RELRO = 0x6474e552;
  private static final int R = 4;
  private static final int RX = 5;
  private static final int RW = 6;

  /** A program header: type, flags, offset, vaddr, filesz, memsz. */
  record Ph(int type, int flags, long offset, long vaddr, long filesz, long memsz) {}

  /** The usual layout of a position-independent executable linked with -z separate-code and RELRO. */
  private static final List<Ph> PIE = List.of(
      new Ph(6 /* PT_PHDR */, R, 64, 64, 0x2d8, 0x2d8),
      new Ph(PT_LOAD, R, 0, 0, 0x6a8, 0x6a8),
      new Ph(PT_LOAD, RX, 0x1000, 0x1000, 0x1f5, 0x1f5),
      new Ph(PT_LOAD, R, 0x2000, 0x2000, 0x14c, 0x14c),
      new Ph(PT_LOAD, RW, 0x2db8, 0x3db8, 0x260, 0x268),
      new Ph(PT_GNU_RELRO, R, 0x2db8, 0x3db8, 0x248, 0x248));

  static byte[] elf(boolean wide, boolean big, int type, List<Ph> headers) {
    int entry = wide ? 56 : 32;
    int phoff = wide ? 64 : 52;
    ByteBuffer b = ByteBuffer.allocate(phoff + entry * headers.size()).order(big ? ByteOrder.BIG_ENDIAN
        : ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (wide ? 2 : 1), (byte) (big ? 2 : 1), 1});
    b.putShort(16, (short) type);
    if (wide) {
      b.putLong(32, phoff);
      b.putShort(54, (short) entry);
      b.putShort(56, (short) headers.size());
    } else {
      b.putInt(28, phoff);
      b.putShort(42, (short) entry);
      b.putShort(44, (short) headers.size());
    }
    for (int i = 0; i < headers.size(); i++) {
      Ph p = headers.get(i);
      int at = phoff + i * entry;
      b.putInt(at, p.type());
      if (wide) {
        b.putInt(at + 4, p.flags());
        b.putLong(at + 8, p.offset());
        b.putLong(at + 16, p.vaddr());
        b.putLong(at + 32, p.filesz());
        b.putLong(at + 40, p.memsz());
      } else {
        b.putInt(at + 4, (int) p.offset());
        b.putInt(at + 8, (int) p.vaddr());
        b.putInt(at + 16, (int) p.filesz());
        b.putInt(at + 20, (int) p.memsz());
        b.putInt(at + 24, p.flags());
      }
    }
    return b.array();
  }

  private static ElfSegments parse(byte[] b) throws ElfSegments.Unreadable {
    return ElfSegments.parse(b, b.length, PAGE);
  }

  private static List<ElfSegments.Checked> pie() {
    return List.of(new ElfSegments.Checked(0, 0x1000, 0), new ElfSegments.Checked(0x1000, 0x2000, 0),
        new ElfSegments.Checked(0x2000, 0x3000, 0));
  }

  @Test
  void readOnlySegmentsOfAPositionIndependentExecutableInEveryClassAndByteOrder() throws Exception {
    for (boolean wide : new boolean[] {true, false}) {
      for (boolean big : new boolean[] {true, false}) {
        ElfSegments s = parse(elf(wide, big, 3, PIE));
        assertFalse(s.fixedAddress());
        assertEquals(0, s.firstVaddr());
        assertEquals(0, s.firstOffset());
        assertEquals(pie(), s.checked(), "wide " + wide + " big " + big);
      }
    }
  }

  @Test
  void relroAndWritablePagesAreNeverChecked() throws Exception {
    // old layout: text, rodata and RELRO data share pages
    List<Ph> packed = List.of(
        new Ph(PT_LOAD, RX, 0, 0x400000, 0x5800, 0x5800),
        new Ph(PT_LOAD, RW, 0x5e10, 0x605e10, 0x300, 0x400),
        new Ph(PT_GNU_RELRO, R, 0x5e10, 0x605e10, 0x1f0, 0x1f0),
        new Ph(PT_LOAD, R, 0x7000, 0x606000, 0x2000, 0x2000));
    ElfSegments s = parse(elf(true, false, 2, packed));
    assertTrue(s.fixedAddress());
    assertEquals(0x400000, s.firstVaddr());
    // the last read-only segment shares its first page with the writable one: only its second is checked
    assertEquals(List.of(new ElfSegments.Checked(0x400000, 0x406000, -0x400000),
        new ElfSegments.Checked(0x607000, 0x608000, 0x7000 - 0x606000)), s.checked());
  }

  @Test
  void zeroFilledTailOfAReadOnlySegmentIsNotChecked() throws Exception {
    ElfSegments s = parse(elf(true, false, 3, List.of(new Ph(PT_LOAD, R, 0, 0, 0x1800, 0x3000))));
    assertEquals(List.of(new ElfSegments.Checked(0, 0x1000, 0)), s.checked());
  }

  @Test
  void aLargerPageSizeWidensWhatIsLeftOut() throws Exception {
    byte[] b = elf(true, false, 3, List.of(
        new Ph(PT_LOAD, RX, 0, 0, 0x30000, 0x30000),
        new Ph(PT_LOAD, RW, 0x30000, 0x40000, 0x100, 0x100)));
    ElfSegments s = ElfSegments.parse(b, b.length, 0x10000);
    assertEquals(List.of(new ElfSegments.Checked(0, 0x30000, 0)), s.checked());
  }

  @Test
  void garbageIsUnreadableWithAReason() {
    byte[] pie = elf(true, false, 3, PIE);
    List<byte[]> bad = new ArrayList<>();
    bad.add(new byte[0]);
    bad.add("#!/bin/sh\necho hi\n".getBytes());
    bad.add(Arrays.copyOf(pie, 40)); // cut in the ELF header
    bad.add(Arrays.copyOf(pie, 100)); // cut in the program headers
    bad.add(elf(true, false, 1, PIE)); // a relocatable object
    bad.add(elf(true, false, 3, List.of(new Ph(6, R, 64, 64, 8, 8)))); // no load segment
    bad.add(elf(true, false, 3, List.of(new Ph(PT_LOAD, R, 0, -4096, 0x100, 0x100)))); // impossible address
    bad.add(elf(true, false, 3, List.of(new Ph(PT_LOAD, R, 0, 0, 0x200, 0x100)))); // filesz > memsz
    bad.add(elf(true, false, 3, List.of(new Ph(PT_LOAD, R, 0x10, 0, 0x200, 0x200)))); // not mmap-aligned
    byte[] badClass = pie.clone();
    badClass[4] = 3;
    bad.add(badClass);
    byte[] badOrder = pie.clone();
    badOrder[5] = 0;
    bad.add(badOrder);
    byte[] xnum = pie.clone();
    xnum[56] = (byte) 0xff;
    xnum[57] = (byte) 0xff;
    bad.add(xnum);
    byte[] farTable = pie.clone();
    farTable[39] = (byte) 0x80; // phoff with its top bit set
    bad.add(farTable);
    byte[] smallEntries = pie.clone();
    smallEntries[54] = 8;
    bad.add(smallEntries);
    for (byte[] b : bad) {
      ElfSegments.Unreadable e = assertThrows(ElfSegments.Unreadable.class, () -> parse(b));
      assertFalse(e.getMessage().isBlank());
    }
  }

  @Test
  void tooManyLoadSegmentsAreUnreadable() {
    List<Ph> many = new ArrayList<>();
    for (int i = 0; i <= ElfSegments.MAX_LOADS; i++) {
      many.add(new Ph(PT_LOAD, R, i * PAGE, i * PAGE, 0x10, 0x10));
    }
    assertThrows(ElfSegments.Unreadable.class, () -> parse(elf(true, false, 3, many)));
  }

  @Test
  void headersPastWhatWasReadAskForMore() {
    byte[] pie = elf(true, false, 3, PIE);
    ElfSegments.Unreadable e = assertThrows(ElfSegments.Unreadable.class,
        () -> ElfSegments.parse(pie, 100, PAGE));
    assertTrue(e.truncated(), e.getMessage());
  }

  @Test
  void theRunningJavaLauncherHasCheckedCode() throws Exception {
    byte[] b = Files.readAllBytes(Path.of("/proc/self/exe"));
    ElfSegments s = ElfSegments.parse(b, Math.min(b.length, ElfSegments.HEADER_BYTES), PAGE);
    assertFalse(s.checked().isEmpty());
    for (int i = 1; i < s.checked().size(); i++) {
      assertTrue(s.checked().get(i).start() >= s.checked().get(i - 1).end(), s.checked().toString());
    }
  }
}
