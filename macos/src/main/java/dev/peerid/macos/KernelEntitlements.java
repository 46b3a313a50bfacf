package dev.peerid.macos;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The kernel's own copy of a running process's entitlements ({@code csops} CS_OPS_ENTITLEMENTS_BLOB),
 * a second source beside Security.framework's {@code entitlements-dict}: when Security.framework
 * leaves the dictionary out or cannot read it, the entitlements that let other code in must not
 * silently vanish from the policy's view.
 *
 * <p>xnu {@code bsd/kern/kern_proc.c} (csops_internal, csops_copy_token): a buffer shorter than 8
 * bytes is ERANGE; a process without entitlements (or whose entitlements AMFI cannot give as XML)
 * gets nothing written and success; a blob longer than the buffer gets an 8-byte header whose
 * bytes 4..8 are the blob's length (big-endian) and ERANGE; otherwise the whole blob is copied:
 * magic 0xfade7171, big-endian length including the 8-byte header, then the XML plist.
 */
final class KernelEntitlements {
  static final int HEADER_SIZE = 8;
  /** The largest blob read: the plist bound of {@link Plists} plus its header. */
  static final long MAX_BLOB_BYTES = Plists.MAX_PLIST_BYTES + (long) HEADER_SIZE;

  private enum Kind { NONE, KEYS, UNREADABLE }

  private final Kind kind;
  private final List<String> keys;
  private final String problem;

  private KernelEntitlements(Kind kind, List<String> keys, String problem) {
    this.kind = kind;
    this.keys = List.copyOf(keys);
    this.problem = problem;
  }

  static KernelEntitlements none() {
    return new KernelEntitlements(Kind.NONE, List.of(), null);
  }

  static KernelEntitlements keys(List<String> keys) {
    return new KernelEntitlements(Kind.KEYS, keys, null);
  }

  static KernelEntitlements unreadable(String problem) {
    return new KernelEntitlements(Kind.UNREADABLE, List.of(), problem);
  }

  /**
   * Asks the kernel: the length first (8-byte probe), then the blob, never more than {@link
   * #MAX_BLOB_BYTES}. When the XML operation gives nothing, the DER operation is asked whether there
   * are entitlements after all: xnu also writes nothing when AMFI cannot give the XML form.
   */
  static KernelEntitlements read(CodeGuest guest, LibC libc) {
    KernelEntitlements xml = readXml(guest, libc);
    return xml.kind == Kind.NONE ? derPresence(guest, libc) : xml;
  }

  /** NONE when the kernel holds no DER entitlements either (or predates the DER operation). */
  private static KernelEntitlements derPresence(CodeGuest guest, LibC libc) {
    byte[] header = new byte[HEADER_SIZE];
    long length;
    try {
      int result = guest.csops(libc, LibC.CS_OPS_DER_ENTITLEMENTS_BLOB, header);
      if (result != 0) {
        return unreadable("the kernel gives no XML form and refused the DER form (csops returned " + result + ")");
      }
      length = Integer.toUnsignedLong(ByteBuffer.wrap(header).getInt(4));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EINVAL) {
        // an unknown operation (before macOS 12): entitlements were XML only, so none is none
        return none();
      }
      if (e.getErrorCode() != LibC.ERANGE) {
        return unreadable("the kernel gives no XML form and refused the DER form (" + refusal(e.getErrorCode()) + ")");
      }
      length = Integer.toUnsignedLong(ByteBuffer.wrap(header).getInt(4));
    }
    if (length <= HEADER_SIZE) {
      return none();
    }
    return unreadable("the kernel holds them only in the DER form (" + length
        + " bytes), which peerid does not read");
  }

  private static KernelEntitlements readXml(CodeGuest guest, LibC libc) {
    byte[] header = new byte[HEADER_SIZE];
    try {
      int result = guest.csops(libc, LibC.CS_OPS_ENTITLEMENTS_BLOB, header);
      if (result != 0) {
        return unreadable("the kernel refused to give it (csops returned " + result + ")");
      }
      // the whole blob fitted in 8 bytes, or (untouched zeros) the kernel has none to give
      return parse(header);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != LibC.ERANGE) {
        return unreadable("the kernel refused to give it (" + refusal(e.getErrorCode()) + ")");
      }
    }
    long length = Integer.toUnsignedLong(ByteBuffer.wrap(header).getInt(4));
    if (length < HEADER_SIZE || length > MAX_BLOB_BYTES) {
      return unreadable("the kernel reports a blob of " + length + " bytes (peerid reads 8 to " + MAX_BLOB_BYTES
          + ")");
    }
    byte[] blob = new byte[(int) length];
    try {
      int result = guest.csops(libc, LibC.CS_OPS_ENTITLEMENTS_BLOB, blob);
      if (result != 0) {
        return unreadable("the kernel refused to give it (csops returned " + result + ")");
      }
    } catch (LastErrorException e) {
      return unreadable(e.getErrorCode() == LibC.ERANGE
          ? "the blob grew beyond the " + length + " bytes the kernel first reported"
          : "the kernel refused to give it (" + refusal(e.getErrorCode()) + ")");
    }
    return parse(blob);
  }

  private static String refusal(int errno) {
    String why = switch (errno) {
      case LibC.ESRCH -> "the process is gone or now runs another program";
      case LibC.EINVAL -> "the kernel does not consider its code valid";
      case LibC.EBADEXEC -> "the kernel holds no code signature for it";
      default -> "unexpected error";
    };
    return "errno " + errno + ": " + why;
  }

  /** A blob as copied out by the kernel: all zeros means none. */
  static KernelEntitlements parse(byte[] blob) {
    if (blob.length < HEADER_SIZE) {
      return unreadable("the kernel's blob has " + blob.length + " bytes, less than its 8-byte header");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    int magic = b.getInt(0);
    long length = Integer.toUnsignedLong(b.getInt(4));
    if (magic == 0 && length == 0) {
      return none();
    }
    if (magic == SuperBlob.DER_ENTITLEMENTS_MAGIC) {
      return unreadable("the kernel gave the DER form (0xfade7172), which peerid does not read");
    }
    if (magic != SuperBlob.ENTITLEMENTS_MAGIC) {
      return unreadable(String.format(Locale.ROOT, "the kernel's blob has magic 0x%08x, not 0xfade7171", magic));
    }
    if (length < HEADER_SIZE || length > blob.length) {
      return unreadable("the kernel's blob claims " + length + " bytes in a buffer of " + blob.length);
    }
    if (length == HEADER_SIZE) {
      return keys(List.of());
    }
    byte[] xml = new byte[(int) length - HEADER_SIZE];
    System.arraycopy(blob, HEADER_SIZE, xml, 0, xml.length);
    try {
      return keys(Plists.topLevelTrueKeys(xml));
    } catch (MachOFormatException e) {
      return unreadable("the kernel's blob is not a readable entitlements plist (" + e.getMessage() + ")");
    }
  }

  /**
   * What the peer is entitled to, from Security.framework's dictionary ({@code securityKeys}, present
   * when it gave a dictionary; {@code securityUnreadable} when it gave something that is not one) and
   * this kernel copy: the union when both read; the one that reads when only one does; a refusal
   * when there are entitlements (by either source's word) and neither can be read.
   */
  Reconciled reconcile(Optional<List<String>> securityKeys, boolean securityUnreadable) {
    switch (kind) {
      case KEYS:
        Set<String> union = new LinkedHashSet<>(securityKeys.orElse(List.of()));
        union.addAll(keys);
        return Reconciled.of(new ArrayList<>(union));
      case NONE:
        if (securityKeys.isPresent()) {
          // the kernel writes nothing also when AMFI cannot give the XML form: keep what Security read
          return Reconciled.of(securityKeys.get());
        }
        if (securityUnreadable) {
          return Reconciled.refused("Security.framework reports entitlements for the peer that are not a dictionary, "
              + "and the kernel gives none: its entitlements cannot be established");
        }
        return Reconciled.of(List.of());
      default:
        if (securityKeys.isPresent()) {
          return Reconciled.of(securityKeys.get());
        }
        return Reconciled.refused("cannot establish the peer's entitlements: Security.framework's signing "
            + "information has no readable entitlements dictionary, and the kernel's copy cannot be read: "
            + problem + ". Entitlements such as get-task-allow would go unseen, so the peer is refused");
    }
  }

  /** The entitlements to report, or why none can be reported (then the signature is INVALID). */
  record Reconciled(List<String> keys, Optional<String> refusal) {
    Reconciled {
      keys = List.copyOf(keys);
    }

    static Reconciled of(List<String> keys) {
      return new Reconciled(keys, Optional.empty());
    }

    static Reconciled refused(String reason) {
      return new Reconciled(List.of(), Optional.of(reason));
    }
  }
}
