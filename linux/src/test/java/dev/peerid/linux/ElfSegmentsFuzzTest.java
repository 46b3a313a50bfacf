package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The ELF program-header parser on arbitrary bytes (the peer's executable is any file its user
 * could make): {@link ElfSegments.Unreadable} or sorted, disjoint, page-aligned ranges, never
 * another exception.
 */
class ElfSegmentsFuzzTest {

  @FuzzTest
  void parseNeverCrashes(byte[] input) {
    for (long page : new long[] {4096, 65536}) {
      try {
        ElfSegments s = ElfSegments.parse(input, input.length, page);
        long last = Long.MIN_VALUE;
        for (ElfSegments.Checked c : s.checked()) {
          assertTrue(c.start() >= last && c.end() > c.start(), s.checked().toString());
          assertTrue(c.start() % page == 0 && c.end() % page == 0, c.toString());
          last = c.end();
        }
        assertTrue(s.checked().size() <= ElfSegments.MAX_LOADS * 4, "bounded");
      } catch (ElfSegments.Unreadable expected) {
        // not an executable it can read: reported as unchecked, which the default policy denies
      }
    }
  }
}
