package dev.peerid.macos;

import com.sun.jna.LastErrorException;
import com.sun.jna.ptr.IntByReference;
import dev.peerid.PeerIdentificationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what the kernel knows about the peer of a connected Unix-domain socket: LOCAL_PEERTOKEN
 * (computed at each call from the last process to use the peer socket, hence read before and after
 * a check), LOCAL_PEERCRED and LOCAL_PEERPID.
 */
final class PeerSocket {
  /**
   * {@code struct xucred} (xnu {@code bsd/sys/ucred.h}): {@code u_int cr_version; uid_t cr_uid;
   * short cr_ngroups; gid_t cr_groups[NGROUPS]}, NGROUPS = 16; 76 bytes with the padding after
   * {@code cr_ngroups}. Checked against the header's field list by {@code MacNativeLayoutTest}.
   */
  static final int XUCRED_SIZE = 76;
  static final int XUCRED_VERSION = 0;
  static final int XUCRED_VERSION_OFFSET = 0;
  static final int XUCRED_UID_OFFSET = 4;
  static final int XUCRED_NGROUPS_OFFSET = 8;
  static final int XUCRED_GROUPS_OFFSET = 12;
  static final int XUCRED_NGROUPS_MAX = 16;
  /** LOCAL_PEERPID copies out a {@code pid_t}. */
  static final int PID_SIZE = 4;

  private final LibC libc;
  private final int fd;

  PeerSocket(LibC libc, int fd) {
    this.libc = libc;
    this.fd = fd;
  }

  AuditToken token() throws PeerIdentificationException {
    return AuditToken.of(option(LibC.LOCAL_PEERTOKEN, AuditToken.SIZE, "LOCAL_PEERTOKEN"));
  }

  int pid() throws PeerIdentificationException {
    return ByteBuffer.wrap(option(LibC.LOCAL_PEERPID, PID_SIZE, "LOCAL_PEERPID")).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /** {uid, gid...} from LOCAL_PEERCRED: the effective uid and the groups (first is the effective gid). */
  long[] credentials() throws PeerIdentificationException {
    ByteBuffer b = ByteBuffer.wrap(option(LibC.LOCAL_PEERCRED, XUCRED_SIZE, "LOCAL_PEERCRED"))
        .order(ByteOrder.LITTLE_ENDIAN);
    int version = b.getInt(XUCRED_VERSION_OFFSET);
    if (version != XUCRED_VERSION) {
      throw new PeerIdentificationException("LOCAL_PEERCRED returned an unknown xucred version " + version);
    }
    int ngroups = b.getShort(XUCRED_NGROUPS_OFFSET);
    if (ngroups < 0 || ngroups > XUCRED_NGROUPS_MAX) {
      throw new PeerIdentificationException("LOCAL_PEERCRED returned " + ngroups + " groups");
    }
    long[] out = new long[1 + ngroups];
    out[0] = Integer.toUnsignedLong(b.getInt(XUCRED_UID_OFFSET));
    for (int i = 0; i < ngroups; i++) {
      out[1 + i] = Integer.toUnsignedLong(b.getInt(XUCRED_GROUPS_OFFSET + 4 * i));
    }
    return out;
  }

  static List<Long> groups(long[] credentials) {
    List<Long> groups = new ArrayList<>();
    for (int i = 1; i < credentials.length; i++) {
      groups.add(credentials[i]);
    }
    return groups;
  }

  private byte[] option(int option, int size, String name) throws PeerIdentificationException {
    byte[] value = new byte[size];
    IntByReference length = new IntByReference(size);
    try {
      if (libc.getsockopt(fd, LibC.SOL_LOCAL, option, value, length) != 0) {
        throw new PeerIdentificationException("getsockopt(" + name + ") failed on fd " + fd);
      }
    } catch (LastErrorException e) {
      throw new PeerIdentificationException("getsockopt(" + name + ") failed on fd " + fd + " (errno "
          + e.getErrorCode() + "): is it a connected Unix-domain socket?", e);
    }
    if (length.getValue() != size) {
      throw new PeerIdentificationException("getsockopt(" + name + ") returned " + length.getValue() + " bytes, expected "
          + size);
    }
    return value;
  }
}
