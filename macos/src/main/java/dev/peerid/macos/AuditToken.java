package dev.peerid.macos;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A peer's {@code audit_token_t} (8 × u32, native little-endian): [1] euid, [2] egid, [3] ruid,
 * [4] rgid, [5] pid, [7] pidversion, which changes on every exec. Keeps the raw 32 bytes for
 * Security.framework and {@code csops_audittoken}.
 */
final class AuditToken {
  /** {@code audit_token_t} is {@code unsigned int val[8]} (xnu {@code osfmk/mach/message.h}). */
  static final int SIZE = 32;
  /** Indices into {@code val[]}, as xnu {@code bsd/kern/kern_prot.c} proc_calc_audit_token fills them. */
  static final int EUID = 1;
  static final int EGID = 2;
  static final int PID = 5;
  static final int PIDVERSION = 7;
  private final byte[] raw;

  private AuditToken(byte[] raw) {
    this.raw = raw.clone();
  }

  static AuditToken of(byte[] raw) {
    if (raw.length != SIZE) {
      throw new IllegalArgumentException("an audit token is 32 bytes, got " + raw.length);
    }
    return new AuditToken(raw);
  }

  private long field(int i) {
    return Integer.toUnsignedLong(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(4 * i));
  }

  long euid() {
    return field(EUID);
  }

  long egid() {
    return field(EGID);
  }

  int pid() {
    return (int) field(PID);
  }

  long pidVersion() {
    return field(PIDVERSION);
  }

  byte[] bytes() {
    return raw.clone();
  }

  /** True when both tokens name the same process image (same pid, same exec generation). */
  boolean sameProcess(AuditToken other) {
    return pid() == other.pid() && pidVersion() == other.pidVersion();
  }

  String raceToken() {
    return "audit-token:pidversion=" + pidVersion();
  }

  @Override
  public String toString() {
    return "AuditToken{pid=" + pid() + " pidversion=" + pidVersion() + " euid=" + euid() + "}";
  }
}
