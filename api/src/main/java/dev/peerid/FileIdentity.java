package dev.peerid;

import java.util.Objects;

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
}
