package dev.peerid.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peerid.FileIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The maps lines MappedLibraries reads, in the kernel's format, against real files. */
@EnabledOnOs(OS.LINUX)
class MappedLibrariesTest {
  @TempDir
  Path dir;

  @Test
  void reportsOnlyExecutableMappingsOfFilesTheUserCouldHavePlaced() throws Exception {
    // the C library this JVM runs with: a root-owned system file on any distribution
    Path libc = Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .filter(l -> l.contains("/libc.so") || l.contains("/libc-")).map(l -> Path.of(l.substring(l.indexOf('/'))))
        .findFirst().orElseThrow(() -> new AssertionError("no libc in /proc/self/maps"));
    long libcInode = (Long) Files.getAttribute(libc, "unix:ino");
    String libcDevice = majorMinor((Long) Files.getAttribute(libc, "unix:dev"));
    String otherDevice = libcDevice.equals("fd:07") ? "fd:08" : "fd:07";
    Path evil = dir.resolve("evil lib.so"); // a space in the name, and writable by anyone
    Files.writeString(evil, "not really a library");
    Files.setPosixFilePermissions(evil, PosixFilePermissions.fromString("rw-rw-rw-"));
    long evilInode = (Long) Files.getAttribute(evil, "unix:ino");
    String maps = String.join("\n",
        "55d0c3a00000-55d0c3a02000 r--p 00000000 08:01 1234                       /opt/vendor/client",
        "55d0c3a02000-55d0c3a04000 r-xp 00002000 08:01 1234                       /opt/vendor/client",
        "7f0000000000-7f0000001000 r-xp 00028000 " + libcDevice + " " + libcInode + "                   " + libc,
        "7f0000002000-7f0000003000 r-xp 00000000 fd:01 " + evilInode + "                   " + evil,
        "7f0000004000-7f0000005000 r--p 00000000 fd:01 " + evilInode + "                   " + evil + "-data",
        "7f0000006000-7f0000007000 rw-p 00000000 00:00 0 ",
        "7f0000008000-7f0000009000 r-xp 00000000 00:00 0                          [vdso]",
        "7f000000a000-7f000000b000 r-xp 00000000 00:01 99                         /memfd:jit (deleted)",
        "7f000000c000-7f000000d000 r-xp 00000000 " + libcDevice + " " + (libcInode + 1) + "                   " + libc,
        // the right inode number on another filesystem: a tmpfs of the peer's own, whose numbers start at 1
        "7f0000010000-7f0000011000 r-xp 00000000 " + otherDevice + " " + libcInode + "                   " + libc,
        "7f0000012000-7f0000013000 rwxp 00000000 00:00 0 ",
        "garbage line",
        "7f000000e000-7f000000f000 r-xp 00000000 fd:01 notanumber /usr/lib/x.so",
        "");
    FileIdentity client = new FileIdentity(JnaLinuxLibc.makedev(8, 1), 1234, 1, 0, 0);
    Path root = Path.of("/proc/self/root");
    List<String> found = new MappedLibraries().untrusted(maps, "/opt/vendor/client", client, root, true);
    assertEquals(List.of("mapped:" + evil, "mapped:/memfd:jit (deleted)", "mapped:" + libc,
        "anonymous:7f0000012000-7f0000013000"), found,
        "the writable file, the deleted memfd, a system path whose device or inode is not the one mapped, and"
            + " code in no file");
    assertEquals(found.subList(0, 3), new MappedLibraries().untrusted(maps, "/opt/vendor/client", client, root, false),
        "an interpreter's JIT writes code into anonymous memory");
  }

  /** A device as maps prints it, from its glibc encoding. */
  private static String majorMinor(long dev) {
    long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    return String.format("%02x:%02x", major, minor);
  }
}
