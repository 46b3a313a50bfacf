package dev.peerid.macos;

import dev.peerid.PeerIdentificationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The fields we use of {@code struct proc_bsdinfo} (xnu {@code bsd/sys/proc_info.h}), as filled by
 * {@code proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, buf, sizeof buf)}: twelve {@code uint32_t}/{@code
 * uid_t}/{@code gid_t} fields, {@code char pbi_comm[MAXCOMLEN]}, {@code char pbi_name[2 *
 * MAXCOMLEN]} (MAXCOMLEN = 16), six 32-bit fields, then two {@code uint64_t} start-time fields.
 * Native little-endian; the offsets are checked against the header's field list by
 * {@code MacNativeLayoutTest}.
 */
record ProcBsdInfo(int pid, long uid, long gid, long startSeconds, long startMicros) {
  static final int SIZE = 136;
  static final int PID_OFFSET = 12;
  static final int UID_OFFSET = 20;
  static final int GID_OFFSET = 24;
  static final int START_TVSEC_OFFSET = 120;
  static final int START_TVUSEC_OFFSET = 128;

  /** {@code bytes} as returned by a call that reported {@code length} bytes written. */
  static ProcBsdInfo parse(byte[] bytes, int length) throws PeerIdentificationException {
    if (length != SIZE || bytes.length < SIZE) {
      throw new PeerIdentificationException("proc_pidinfo returned " + length + " bytes, not a proc_bsdinfo ("
          + SIZE + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    return new ProcBsdInfo(b.getInt(PID_OFFSET), Integer.toUnsignedLong(b.getInt(UID_OFFSET)),
        Integer.toUnsignedLong(b.getInt(GID_OFFSET)), b.getLong(START_TVSEC_OFFSET), b.getLong(START_TVUSEC_OFFSET));
  }

  /** The start time as {@code <sec>.<usec>}, which pins a pid to one process. */
  String startTime() {
    return startSeconds + "." + String.format(Locale.ROOT, "%06d", startMicros);
  }
}
