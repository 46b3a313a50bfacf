package dev.peerid;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What makes "the same file" for caching: if any field changes, the file is verified again.
 *
 * @param device  device id (Linux st_dev; Windows volume serial; 0 where unknown)
 * @param inode   inode or file index
 * @param size    size in bytes
 * @param mtimeNanos last modification, nanoseconds since the epoch
 * @param ctimeNanos last status change (Linux; xattr changes move it), nanoseconds since the epoch
 * @param extra   a platform fact that also identifies the content (macOS cdhash), or "" when none
 */
public record FileIdentity(long device, long inode, long size, long mtimeNanos, long ctimeNanos, String extra) {
  public FileIdentity {
    Objects.requireNonNull(extra, "extra");
  }

  public FileIdentity(long device, long inode, long size, long mtimeNanos, long ctimeNanos) {
    this(device, inode, size, mtimeNanos, ctimeNanos, "");
  }

  /**
   * The identity of the file {@code path} names, following links (for {@code /proc/<pid>/exe}:
   * the inode the process runs). Where the OS has no "unix" attribute view (Windows), device,
   * inode and ctime are 0: size and modification time still tell a changed file apart.
   */
  public static FileIdentity of(Path path) throws IOException {
    try {
      Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,size,lastModifiedTime,ctime");
      return new FileIdentity(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
          ((Number) a.get("size")).longValue(), nanos(a.get("lastModifiedTime")), nanos(a.get("ctime")));
    } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
      BasicFileAttributes b = Files.readAttributes(path, BasicFileAttributes.class);
      return new FileIdentity(0, 0, b.size(), nanos(b.lastModifiedTime()), 0);
    }
  }

  private static long nanos(Object time) {
    return time instanceof FileTime t ? t.to(TimeUnit.NANOSECONDS) : 0;
  }
}
