package dev.peerid.macos;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import dev.peerid.PeerIdentificationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Deque;

/**
 * How Security.framework and the kernel are asked about one process: by audit token (a connected
 * peer: names one exec of one process) or by bare pid (inspection only: the pid may be reused).
 */
interface CodeGuest {
  /** kSecGuestAttributeAudit and kSecGuestAttributePid (Security {@code SecCode.cpp}). */
  String ATTRIBUTE_AUDIT = "audit";
  String ATTRIBUTE_PID = "pid";
  /** CS_OPS_STATUS copies out one {@code uint32_t} (xnu {@code bsd/kern/kern_proc.c} csops_internal). */
  int CS_STATUS_SIZE = 4;

  /** The guest attributes dictionary for {@code SecCodeCopyGuestWithAttributes}; every object made is pushed on {@code owned}. */
  Pointer attributes(CoreFoundationApi cf, Deque<Pointer> owned);

  /** The kernel's code-signing flags (CS_OPS_STATUS). */
  int csStatus(LibC libc) throws PeerIdentificationException;

  /** One {@code csops} operation on this guest (by audit token or by pid), filling {@code buffer}. */
  int csops(LibC libc, int ops, byte[] buffer) throws LastErrorException;

  static CodeGuest byToken(AuditToken token) {
    return new CodeGuest() {
      @Override
      public Pointer attributes(CoreFoundationApi cf, Deque<Pointer> owned) {
        return dictionary(cf, owned, ATTRIBUTE_AUDIT, cf.createData(token.bytes()));
      }

      @Override
      public int csStatus(LibC libc) throws PeerIdentificationException {
        byte[] flags = new byte[CS_STATUS_SIZE];
        try {
          check(libc.csops_audittoken(token.pid(), LibC.CS_OPS_STATUS, flags, flags.length, token.bytes()));
        } catch (LastErrorException e) {
          throw failed(e);
        }
        return ByteBuffer.wrap(flags).order(ByteOrder.LITTLE_ENDIAN).getInt();
      }

      @Override
      public int csops(LibC libc, int ops, byte[] buffer) throws LastErrorException {
        return libc.csops_audittoken(token.pid(), ops, buffer, buffer.length, token.bytes());
      }
    };
  }

  static CodeGuest byPid(int pid) {
    return new CodeGuest() {
      @Override
      public Pointer attributes(CoreFoundationApi cf, Deque<Pointer> owned) {
        return dictionary(cf, owned, ATTRIBUTE_PID, cf.createNumber(pid));
      }

      @Override
      public int csStatus(LibC libc) throws PeerIdentificationException {
        byte[] flags = new byte[CS_STATUS_SIZE];
        try {
          check(libc.csops(pid, LibC.CS_OPS_STATUS, flags, flags.length));
        } catch (LastErrorException e) {
          throw failed(e);
        }
        return ByteBuffer.wrap(flags).order(ByteOrder.LITTLE_ENDIAN).getInt();
      }

      @Override
      public int csops(LibC libc, int ops, byte[] buffer) throws LastErrorException {
        return libc.csops(pid, ops, buffer, buffer.length);
      }
    };
  }

  private static Pointer dictionary(CoreFoundationApi cf, Deque<Pointer> owned, String key, Pointer value) {
    if (value != null) {
      owned.push(value);
    }
    Pointer k = cf.createString(key);
    if (k != null) {
      owned.push(k);
    }
    Pointer dict = cf.createDictionary(k, value);
    if (dict != null) {
      owned.push(dict);
    }
    return dict;
  }

  private static void check(int result) throws PeerIdentificationException {
    if (result != 0) {
      throw new PeerIdentificationException("cannot read the peer's code-signing status from the kernel (csops failed)");
    }
  }

  private static PeerIdentificationException failed(LastErrorException e) {
    return new PeerIdentificationException("cannot read the peer's code-signing status from the kernel (errno "
        + e.getErrorCode() + ")", e);
  }
}
