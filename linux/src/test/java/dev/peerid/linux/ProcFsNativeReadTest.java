package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.FileIdentity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct open/read/readlink/statx path of {@link ProcFs}: it must give exactly what the JDK's
 * file classes gave (the verification cache and the interpreter index compare identities made
 * both ways), read no more than it needs, and fail with the exceptions the callers tell apart.
 */
@EnabledOnOs(OS.LINUX)
class ProcFsNativeReadTest {
  private final JnaLinuxLibc libc = new JnaLinuxLibc();

  @Test
  void nativeStatGivesTheJdksIdentityForEveryKindOfFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "content");
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    List<Path> files = List.of(Path.of("/proc/self/exe"), file, link, dir, Path.of("/dev/null"), Path.of("/etc/passwd"),
        Path.of("/proc/self/status"));
    for (Path p : files) {
      FileIdentity jdk = FileIdentity.of(p);
      FileIdentity mine = libc.stat((p + "\0").getBytes(StandardCharsets.UTF_8));
      assertEquals(jdk, mine, p.toString());
    }
    assertThrows(LinuxLibc.ErrnoException.class, () -> libc.stat((dir.resolve("missing") + "\0").getBytes()));
  }

  @Test
  void preadReadsAtTheOffsetGivenAndPageSizeIsThePlatforms(@TempDir Path dir) throws Exception {
    byte[] content = new byte[20000];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 7);
    }
    Path file = Files.write(dir.resolve("f"), content);
    int fd = libc.openReadOnly((file + "\0").getBytes(StandardCharsets.UTF_8));
    try {
      byte[] buf = new byte[100];
      assertEquals(100, libc.pread(fd, buf, 100, 12345));
      assertEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(content, 12345, 12445)),
          java.util.Arrays.toString(buf));
      assertEquals(0, libc.pread(fd, buf, 100, content.length), "at the end");
      assertEquals(100, libc.pread(fd, buf, 100, 0), "the file position plays no part");
      assertEquals(content[99], buf[99]);
    } finally {
      libc.close(fd);
    }
    assertThrows(LinuxLibc.ErrnoException.class, () -> libc.pread(-1, new byte[8], 8, 0));
    long page = libc.pageSize();
    assertTrue(page >= 4096 && Long.bitCount(page) == 1, "page size " + page);
  }

  @Test
  void withoutStatxTheJdkGivesTheIdentity() throws IOException {
    long self = ProcessHandle.current().pid();
    FileIdentity expected = FileIdentity.of(Path.of("/proc/self/exe"));
    for (int errno : new int[] {LinuxLibc.ENOSYS, LinuxLibc.EPERM}) {
      CountingLibc noStatx = new CountingLibc(libc);
      noStatx.statErrno = errno;
      assertEquals(expected, ProcFs.system(noStatx).exeIdentity(self), "errno " + errno);
    }
    CountingLibc broken = new CountingLibc(libc);
    broken.statErrno = LinuxLibc.EACCES;
    assertThrows(AccessDeniedException.class, () -> ProcFs.system(broken).exeIdentity(self));
  }

  @Test
  void deviceNumbersAreEncodedAsGlibcMakedev() {
    assertEquals(0x801, JnaLinuxLibc.makedev(8, 1)); // /dev/sda1
    // a major above 0xfff and a minor above 0xff use the high bits (large NVMe / device-mapper numbers)
    assertEquals(0x0000_1000_1230_0045L, JnaLinuxLibc.makedev(0x1000, 0x12345));
  }

  @Test
  void statusStopsReadingOnceTheNeededLinesAreIn(@TempDir Path root) throws IOException {
    String head = "Name:\tx\nTracerPid:\t0\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nGroups:\t9 10\n";
    write(root, 1, "status", head + ("Pad:\t" + "x".repeat(90) + "\n").repeat(200)); // ~19 KiB after the ids
    CountingLibc counting = new CountingLibc(libc);
    ProcFs.Status s = new ProcFs(root, counting).status(1);
    assertEquals(new ProcFs.Status(0, 2, 6, List.of(9L, 10L)), s);
    assertEquals(1, counting.reads.get(), "one read: the ids are in the first block, the rest is never read");
    assertEquals(counting.opens.get(), counting.closes.get(), "every descriptor is closed");
  }

  @Test
  void statusReadsOnWhenALineCrossesTheFirstBlock(@TempDir Path root) throws IOException {
    // 14 + 42 * 96 + 44 = 4090 bytes before "Uid:": the line straddles the end of the first 4 KiB read
    String padding = ("Pad:\t" + "x".repeat(90) + "\n").repeat(42) + "Pad:\t" + "x".repeat(38) + "\n";
    write(root, 2, "status", "TracerPid:\t31\n" + padding + "Uid:\t11\t12\t13\t14\nGid:\t15\t16\t17\t18\nGroups:\t\n");
    CountingLibc counting = new CountingLibc(libc);
    ProcFs.Status s = new ProcFs(root, counting).status(2);
    assertEquals(new ProcFs.Status(31, 12, 16, List.of()), s);
    assertTrue(counting.reads.get() >= 2, "read on until the lines are complete: " + counting.reads.get());
    assertEquals(counting.opens.get(), counting.closes.get());
  }

  @Test
  void aGroupsLineCutAtTheSizeLimitNamesNoGroupsRatherThanWrongOnes(@TempDir Path root) throws IOException {
    StringBuilder groups = new StringBuilder("Groups:");
    for (int g = 100_000; groups.length() < 70 * 1024; g++) {
      groups.append(' ').append(g);
    }
    write(root, 3, "status", "TracerPid:\t0\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n" + groups + "\n");
    ProcFs.Status s = new ProcFs(root).status(3);
    assertEquals(2, s.euid());
    assertEquals(List.of(), s.groups(), "a cut list would end in a wrong (cut) group id");
  }

  @Test
  void failuresAreTheExceptionsTheCallersTellApart(@TempDir Path root) throws IOException {
    ProcFs proc = new ProcFs(root);
    assertThrows(NoSuchFileException.class, () -> proc.status(99));
    assertThrows(NoSuchFileException.class, () -> proc.exeSnapshot(99).path());
    assertThrows(NoSuchFileException.class, () -> proc.exeIdentity(99));
    assertThrows(NoSuchFileException.class, () -> proc.startTime(99));
    assertEquals(List.of(), proc.injectedLibraries(99));
    write(root, 4, "status", "TracerPid:\t0\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n");
    Path status = root.resolve("4").resolve("status");
    Files.setPosixFilePermissions(status, PosixFilePermissions.fromString("---------"));
    if (Long.parseLong(Tools.runQuietly("id", "-u")) != 0) {
      assertThrows(AccessDeniedException.class, () -> proc.status(4));
    } else {
      assertEquals(2, proc.status(4).euid(), "root reads a file without permissions");
    }
  }

  @Test
  void exePathAndIdentityOfALiveChildMatchTheJdk() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sleep", "30").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove("LD_AUDIT");
    pb.environment().put("LD_PRELOAD", "/nonexistent/peerid-test.so"); // ld.so warns and runs on
    Process child = pb.start();
    try {
      ProcFs proc = ProcFs.system();
      Path exe = proc.exe(child.pid());
      assertEquals(Files.readSymbolicLink(exe).toString(), proc.exeSnapshot(child.pid()).path());
      assertEquals(FileIdentity.of(exe), proc.exeIdentity(child.pid()));
      ProcFs.Status s = proc.status(child.pid());
      assertEquals(0, s.tracerPid());
      assertEquals(List.of("LD_PRELOAD=/nonexistent/peerid-test.so"), proc.injectedLibraries(child.pid()));
    } finally {
      child.destroyForcibly().waitFor();
    }
  }

  @Test
  void environFedInAnyChunksFindsTheSameEntries() throws IOException {
    byte[] block = ("A=1\0LD_PRELOAD=/p.so\0XLD_PRELOAD=/no.so\0L=2\0LD_AUDIT=/a.so\0LD_\0LD_PRELOAD")
        .getBytes(StandardCharsets.UTF_8);
    List<String> whole = new ArrayList<>();
    EnvironScanner.scan(new ByteArrayInputStream(block), 1000, List.of("LD_PRELOAD=", "LD_AUDIT="), whole::add);
    assertEquals(List.of("LD_PRELOAD=/p.so", "LD_AUDIT=/a.so"), whole);
    for (int chunk = 1; chunk <= block.length; chunk++) {
      List<String> seen = new ArrayList<>();
      byte[][] prefixes = EnvironScanner.prefixes(List.of("LD_PRELOAD=", "LD_AUDIT="));
      EnvironScanner s = new EnvironScanner(prefixes, 1000, seen::add);
      for (int i = 0; i < block.length; i += chunk) {
        s.feed(block, i, Math.min(chunk, block.length - i));
      }
      s.finish();
      assertEquals(whole, seen, "chunks of " + chunk);
    }
  }

  @Test
  void nextNulFindsTheFirstZeroAtEveryPosition() {
    for (int length = 0; length <= 40; length++) {
      for (int zero = -1; zero < length; zero++) {
        byte[] b = new byte[length + 3];
        java.util.Arrays.fill(b, (byte) 0x80); // high bits set: the case a careless zero test gets wrong
        b[0] = 0;
        b[b.length - 1] = 0;
        if (zero >= 0) {
          b[1 + zero] = 0;
        }
        int expected = zero >= 0 ? 1 + zero : 1 + length;
        assertEquals(expected, EnvironScanner.nextNul(b, 1, 1 + length), "length " + length + ", zero at " + zero);
      }
    }
  }

  private static void write(Path root, long pid, String name, String content) throws IOException {
    Path dir = root.resolve(Long.toString(pid));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  /** The real libc, counting the file calls. */
  private static final class CountingLibc extends ForwardingLinuxLibc {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    int statErrno; // when not 0, stat fails with it (a C library without statx, a seccomp filter)

    CountingLibc(LinuxLibc real) {
      super(real);
    }

    @Override
    public void close(int fd) {
      closes.incrementAndGet();
      real.close(fd);
    }

    @Override
    public int openReadOnly(byte[] path) throws ErrnoException {
      int fd = real.openReadOnly(path);
      opens.incrementAndGet();
      return fd;
    }

    @Override
    public int read(int fd, byte[] buf, int length) throws ErrnoException {
      reads.incrementAndGet();
      return real.read(fd, buf, length);
    }

    @Override
    public FileIdentity stat(byte[] path) throws ErrnoException {
      if (statErrno != 0) {
        throw new ErrnoException("statx", statErrno, "refused by the test");
      }
      return real.stat(path);
    }
  }
}
