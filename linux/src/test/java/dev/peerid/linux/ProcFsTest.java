package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.FileIdentity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The /proc parsers, on this process's real /proc and on hostile copies of its files. */
class ProcFsTest {

  @Test
  @EnabledOnOs(OS.LINUX)
  void readsThisProcessFromTheRealProc() throws IOException {
    long self = ProcessHandle.current().pid();
    ProcFs proc = ProcFs.system();
    ProcFs.Status status = proc.status(self);
    assertEquals(0, status.tracerPid(), "nobody traces the test JVM");
    assertEquals(Long.parseLong(Tools.runQuietly("id", "-u")), status.euid());
    assertTrue(proc.startTime(self) > 0);
    assertEquals(ProcessHandle.current().info().command().orElseThrow(), proc.exeSnapshot(self).path());
    assertEquals(FileIdentity.of(Path.of(proc.exeSnapshot(self).path())), proc.exeIdentity(self));
  }

  @Test
  void startTimeSurvivesACommandNameWithParenthesesAndSpaces(@TempDir Path root) throws IOException {
    // a process may name itself "x) R 1 2 3 (" to shift the fields of a naive parser
    String stat = "4242 (x) R 1 2 3 () S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
    write(root, 4242, "stat", stat);
    assertEquals(987654, new ProcFs(root).startTime(4242));
  }

  @Test
  void malformedProcFilesAreIoErrorsNotCrashes(@TempDir Path root) throws IOException {
    write(root, 7, "stat", "7 (short) S 1");
    write(root, 7, "status", "Name:\tx\nTracerPid:\tnot-a-number\n");
    write(root, 8, "status", "Name:\tx\n");
    write(root, 9, "stat", "no parenthesis at all");
    ProcFs proc = new ProcFs(root);
    assertThrows(IOException.class, () -> proc.startTime(7));
    assertThrows(IOException.class, () -> proc.status(7));
    assertThrows(IOException.class, () -> proc.status(8));
    assertThrows(IOException.class, () -> proc.startTime(9));
    assertThrows(IOException.class, () -> proc.startTime(10));
  }

  @Test
  void statusGivesEffectiveIdsAndGroups(@TempDir Path root) throws IOException {
    write(root, 5, "status", "Name:\tx\nTracerPid:\t77\nUid:\t1000\t1001\t1002\t1003\n"
        + "Gid:\t2000\t2001\t2002\t2003\nGroups:\t4 24 27 \n");
    ProcFs.Status s = new ProcFs(root).status(5);
    assertEquals(new ProcFs.Status(77, 1001, 2001, List.of(4L, 24L, 27L)), s);
  }

  @Test
  void longProcFilesAreReadUpToTheLimitOnly(@TempDir Path root) throws IOException {
    String padding = "Pad:\t" + "x".repeat(90) + "\n";
    String ids = "TracerPid:\t0\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n";
    write(root, 11, "status", padding.repeat(100) + ids); // ~10 KiB: the buffer grows
    assertEquals(2, new ProcFs(root).status(11).euid());
    write(root, 12, "status", padding.repeat(1000) + ids); // ~100 KiB: cut at 64 KiB, ids unseen
    assertThrows(IOException.class, () -> new ProcFs(root).status(12));
  }

  @Test
  void injectedLibrariesComeFromLdPreloadAndLdAudit(@TempDir Path root) throws IOException {
    String env = "HOME=/root\0LD_PRELOAD=/a/one.so /b/two.so:/c/three.so\0NOT_LD_PRELOAD=/x.so\0LD_AUDIT=/d/audit.so\0";
    write(root, 3, "environ", env);
    assertEquals(List.of("LD_PRELOAD=/a/one.so", "LD_PRELOAD=/b/two.so", "LD_PRELOAD=/c/three.so",
        "LD_AUDIT=/d/audit.so"), new ProcFs(root).injectedLibraries(3));
    assertEquals(List.of(), new ProcFs(root).injectedLibraries(4), "unreadable: nothing can be said");
  }

  @Test
  void environScannerSplitsAcrossBufferBoundariesAndBoundsEntries() throws IOException {
    String big = "A=" + "x".repeat(20_000);
    String longPreload = "LD_PRELOAD=" + "/y".repeat(10_000);
    byte[] block = (big + "\0LD_PRELOAD=/l.so\0" + longPreload + "\0LD_PRELOA\0\0LD_AUDIT=/é.so")
        .getBytes(StandardCharsets.UTF_8);
    List<String> seen = new ArrayList<>();
    EnvironScanner.scan(new ByteArrayInputStream(block), 1000, List.of("LD_PRELOAD=", "LD_AUDIT="), seen::add);
    assertEquals(3, seen.size(), seen.toString());
    assertEquals("LD_PRELOAD=/l.so", seen.get(0));
    assertEquals(longPreload.substring(0, 1000), seen.get(1), "an over-long entry is cut at the limit");
    assertEquals("LD_AUDIT=/é.so", seen.get(2), "the last entry needs no NUL");
  }

  @Test
  void nameDatabaseParsesPasswdAndGroupLines(@TempDir Path dir) throws IOException {
    Map<Long, String> names = NameDatabase.parse("root:x:0:0:root:/root:/bin/bash\n# comment\n"
        + "+nis\nbroken\nbad:x:notanumber:0\nalice:x:1000:1000::/srv/alice:/bin/sh\ntwin:x:1000:1\n:x:5:5\n");
    assertEquals(Map.of(0L, "root", 1000L, "alice"), names);
    Path passwd = dir.resolve("passwd");
    Files.writeString(passwd, "bob:x:42:42::/:/bin/false\n");
    NameDatabase db = new NameDatabase(passwd, 0);
    assertEquals("bob", db.name(42).orElseThrow());
    Files.writeString(passwd, "carol:x:42:42::/:/bin/false\nlonger line to change the size\n");
    assertEquals("carol", db.name(42).orElseThrow(), "a changed file is read again");
    assertTrue(db.name(-1).isEmpty());
    assertTrue(new NameDatabase(dir.resolve("missing"), 0).name(0).isEmpty());
  }

  private static void write(Path root, long pid, String name, String content) throws IOException {
    Path dir = root.resolve(Long.toString(pid));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }
}
