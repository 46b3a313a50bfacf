package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The /proc parsers on arbitrary bytes (a process controls its own command name, and /proc formats
 * change between kernels): an IOException or a value, never another exception, never unbounded output.
 */
class ProcParsersFuzzTest {

  @FuzzTest
  void statusNeverCrashes(byte[] input) {
    try {
      ProcFs.Status s = ProcFs.parseStatus(1, new String(input, StandardCharsets.ISO_8859_1));
      assertTrue(s.tracerPid() >= 0 && s.euid() >= 0 && s.egid() >= 0, s.toString());
    } catch (IOException expected) {
      // malformed: the caller denies with this message
    }
  }

  @FuzzTest
  void startTimeNeverCrashes(byte[] input) {
    try {
      ProcFs.parseStartTime(1, new String(input, StandardCharsets.ISO_8859_1));
    } catch (IOException expected) {
      // malformed: the caller denies with this message
    }
  }

  @FuzzTest
  void environScanIsBounded(byte[] input) throws IOException {
    List<String> seen = new ArrayList<>();
    EnvironScanner.scan(new ByteArrayInputStream(input), 64, List.of("LD_PRELOAD=", "LD_AUDIT="), seen::add);
    for (String entry : seen) {
      assertTrue(entry.startsWith("LD_PRELOAD=") || entry.startsWith("LD_AUDIT="), entry);
      assertTrue(entry.getBytes(StandardCharsets.UTF_8).length <= 64 * 3, "bounded: " + entry.length());
    }
    assertTrue(seen.size() <= input.length / 9 + 1);
  }
}
