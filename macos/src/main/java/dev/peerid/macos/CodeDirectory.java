package dev.peerid.macos;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * One parsed CodeDirectory blob ({@code 0xfade0c02}, big-endian): the hashes of the code pages and
 * of the special slots, the identifier, the team id and the flags. Parsing checks that every hash
 * slot, string and limit lies inside the blob; hashes are compared elsewhere.
 */
final class CodeDirectory {
  static final int FLAG_ADHOC = 0x2;
  static final int FLAG_RUNTIME = 0x10000;
  static final int FLAG_LINKER_SIGNED = 0x20000;

  static final int MIN_VERSION = 0x20001;
  static final int SUPPORTS_SCATTER = 0x20100;
  static final int SUPPORTS_TEAM_ID = 0x20200;
  static final int SUPPORTS_CODE_LIMIT_64 = 0x20300;
  static final int SUPPORTS_EXEC_SEGMENT = 0x20400;
  static final int SUPPORTS_RUNTIME = 0x20500;
  /** The next major version: Apple's own verifier refuses anything from here on. */
  static final int UNSUPPORTED_VERSION = 0x30000;
  static final int MAX_SPECIAL_SLOTS = 64;
  static final int MAX_STRING = 4096;

  private final byte[] blob;
  private final byte[] fullHash;
  private final int slot;
  final int version;
  final int flags;
  final HashType hashType;
  final int hashOffset;
  final int nSpecialSlots;
  final int nCodeSlots;
  final long codeLimit;
  /** log2 of the page size; 0 means a single "page" covering everything up to codeLimit. */
  final int pageShift;
  final String identifier;
  final String teamId;
  final long execSegFlags;

  private CodeDirectory(byte[] blob, int slot, int version, int flags, HashType hashType, int hashOffset,
      int nSpecialSlots, int nCodeSlots, long codeLimit, int pageShift, String identifier, String teamId,
      long execSegFlags) {
    this.blob = blob;
    this.fullHash = hashType.newDigest().digest(blob);
    this.slot = slot;
    this.version = version;
    this.flags = flags;
    this.hashType = hashType;
    this.hashOffset = hashOffset;
    this.nSpecialSlots = nSpecialSlots;
    this.nCodeSlots = nCodeSlots;
    this.codeLimit = codeLimit;
    this.pageShift = pageShift;
    this.identifier = identifier;
    this.teamId = teamId;
    this.execSegFlags = execSegFlags;
  }

  static CodeDirectory parse(byte[] blob, int slot) throws MachOFormatException {
    String where = String.format("CodeDirectory in slot 0x%x", slot);
    if (blob.length < 44) {
      throw new MachOFormatException(where + " is too short (" + blob.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    if (b.getInt(0) != SuperBlob.CODE_DIRECTORY_MAGIC) {
      throw new MachOFormatException(String.format("%s: bad magic 0x%08x", where, b.getInt(0)));
    }
    int version = b.getInt(8);
    if (version < MIN_VERSION || version >= UNSUPPORTED_VERSION) {
      throw new MachOFormatException(String.format("%s: unsupported version 0x%x", where, version));
    }
    int headerSize = headerSize(version);
    if (blob.length < headerSize) {
      throw new MachOFormatException(where + " is shorter than its version's header (" + headerSize + " bytes)");
    }
    int flags = b.getInt(12);
    long hashOffset = Integer.toUnsignedLong(b.getInt(16));
    long identOffset = Integer.toUnsignedLong(b.getInt(20));
    long nSpecial = Integer.toUnsignedLong(b.getInt(24));
    long nCode = Integer.toUnsignedLong(b.getInt(28));
    long codeLimit = Integer.toUnsignedLong(b.getInt(32));
    int hashSize = blob[36] & 0xff;
    HashType hashType = HashType.of(blob[37] & 0xff);
    int pageShift = blob[39] & 0xff;
    if (hashSize != hashType.size) {
      throw new MachOFormatException(where + ": hash size " + hashSize + " does not match " + hashType.label);
    }
    if (pageShift != 0 && (pageShift < 9 || pageShift > 20)) {
      throw new MachOFormatException(where + ": page size 2^" + pageShift + " is not supported");
    }
    if (version >= SUPPORTS_SCATTER && b.getInt(44) != 0) {
      throw new MachOFormatException(where + ": scatter vectors are not supported");
    }
    if (version >= SUPPORTS_CODE_LIMIT_64) {
      long codeLimit64 = b.getLong(56);
      if (codeLimit64 != 0) {
        if (codeLimit64 < 0) {
          throw new MachOFormatException(where + ": codeLimit64 is negative");
        }
        codeLimit = codeLimit64;
      }
    }
    if (nSpecial > MAX_SPECIAL_SLOTS) {
      throw new MachOFormatException(where + ": " + nSpecial + " special slots (at most " + MAX_SPECIAL_SLOTS + ")");
    }
    if (hashOffset < headerSize + nSpecial * hashSize || hashOffset > blob.length
        || nCode > (blob.length - hashOffset) / hashSize) {
      throw new MachOFormatException(where + ": hash slots (offset " + hashOffset + ", " + nSpecial + " special, "
          + nCode + " code) do not fit the blob of " + blob.length + " bytes");
    }
    long expectedSlots = pageShift == 0 ? (codeLimit == 0 ? 0 : 1) : ((codeLimit + (1L << pageShift) - 1) >>> pageShift);
    if (nCode != expectedSlots) {
      throw new MachOFormatException(where + ": " + nCode + " code slots, but codeLimit " + codeLimit + " needs "
          + expectedSlots);
    }
    String identifier = string(blob, identOffset, headerSize, where + " identifier");
    String teamId = null;
    if (version >= SUPPORTS_TEAM_ID && b.getInt(48) != 0) {
      teamId = string(blob, Integer.toUnsignedLong(b.getInt(48)), headerSize, where + " team id");
    }
    long execSegFlags = version >= SUPPORTS_EXEC_SEGMENT ? b.getLong(80) : 0;
    return new CodeDirectory(blob.clone(), slot, version, flags, hashType, (int) hashOffset, (int) nSpecial,
        (int) nCode, codeLimit, pageShift, identifier, teamId, execSegFlags);
  }

  private static int headerSize(int version) {
    if (version >= SUPPORTS_RUNTIME) {
      return 96;
    }
    if (version >= SUPPORTS_EXEC_SEGMENT) {
      return 88;
    }
    if (version >= SUPPORTS_CODE_LIMIT_64) {
      return 64;
    }
    if (version >= SUPPORTS_TEAM_ID) {
      return 52;
    }
    if (version >= SUPPORTS_SCATTER) {
      return 48;
    }
    return 44;
  }

  private static String string(byte[] blob, long offset, int headerSize, String what) throws MachOFormatException {
    if (offset < headerSize || offset >= blob.length) {
      throw new MachOFormatException(what + " offset " + offset + " is outside the blob");
    }
    int start = (int) offset;
    int end = start;
    while (end < blob.length && blob[end] != 0 && end - start < MAX_STRING) {
      end++;
    }
    if (end >= blob.length || blob[end] != 0) {
      throw new MachOFormatException(what + " is not NUL-terminated inside the blob");
    }
    return new String(blob, start, end - start, StandardCharsets.UTF_8);
  }

  int slot() {
    return slot;
  }

  /** The blob's bytes, header included (what the CMS signs and the cdhash covers). */
  byte[] bytes() {
    return blob.clone();
  }

  int pageSize() {
    return pageShift == 0 ? 0 : 1 << pageShift;
  }

  /** Expected hash of code page {@code index}. */
  byte[] codeHash(int index) {
    int at = hashOffset + index * hashType.size;
    return Arrays.copyOfRange(blob, at, at + hashType.size);
  }

  /** Compares a computed page hash with the stored one without copying. */
  boolean codeHashMatches(int index, byte[] computed) {
    int at = hashOffset + index * hashType.size;
    int diff = 0;
    for (int i = 0; i < hashType.size; i++) {
      diff |= blob[at + i] ^ computed[i];
    }
    return diff == 0;
  }

  /** Expected hash of special slot {@code n} (1 = Info, 2 = Requirements, ...), empty when not bound. */
  Optional<byte[]> specialHash(int n) {
    if (n < 1 || n > nSpecialSlots) {
      return Optional.empty();
    }
    int at = hashOffset - n * hashType.size;
    byte[] h = Arrays.copyOfRange(blob, at, at + hashType.size);
    for (byte x : h) {
      if (x != 0) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }

  /** The full-length hash of this CodeDirectory with its own algorithm. */
  byte[] fullHash() {
    return fullHash.clone();
  }

  /** The cdhash: this CodeDirectory's hash, cut to 20 bytes. */
  byte[] cdhash() {
    return Arrays.copyOf(fullHash(), 20);
  }

  boolean isAdhoc() {
    return (flags & FLAG_ADHOC) != 0;
  }

  Optional<String> team() {
    return Optional.ofNullable(teamId);
  }
}
