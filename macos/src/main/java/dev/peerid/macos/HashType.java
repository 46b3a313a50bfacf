package dev.peerid.macos;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The hash algorithms a CodeDirectory can use (cs_blobs.h CS_HASHTYPE_*). */
enum HashType {
  SHA1(1, "SHA-1", 20, "sha1"),
  SHA256(2, "SHA-256", 32, "sha256"),
  SHA256_TRUNCATED(3, "SHA-256", 20, "sha256/20"),
  SHA384(4, "SHA-384", 48, "sha384");

  final int code;
  final String jdkName;
  final int size;
  final String label;

  HashType(int code, String jdkName, int size, String label) {
    this.code = code;
    this.jdkName = jdkName;
    this.size = size;
    this.label = label;
  }

  static HashType of(int code) throws MachOFormatException {
    for (HashType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new MachOFormatException("CodeDirectory: unknown hash type " + code);
  }

  MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance(jdkName);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(jdkName + " is missing from this JDK", e);
    }
  }

  /** The full digest of {@code data}, cut to this type's size (only SHA-256/20 is shorter). */
  byte[] hash(byte[] data) {
    byte[] full = newDigest().digest(data);
    return full.length == size ? full : java.util.Arrays.copyOf(full, size);
  }

  /** Strength order when choosing the CodeDirectory that names the code (its cdhash). */
  int rank() {
    return switch (this) {
      case SHA1 -> 0;
      case SHA256_TRUNCATED -> 1;
      case SHA256 -> 2;
      case SHA384 -> 3;
    };
  }
}
