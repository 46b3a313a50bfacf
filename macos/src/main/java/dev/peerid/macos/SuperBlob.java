package dev.peerid.macos;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The embedded signature: a SuperBlob {@code 0xfade0cc0} {magic, length, count, (type, offset)...},
 * big-endian, indexing blobs by slot type. Each blob is kept as its own copy of the bytes
 * (header included), checked to lie inside the SuperBlob.
 */
final class SuperBlob {
  static final int MAGIC = 0xfade0cc0;
  static final int CODE_DIRECTORY_MAGIC = 0xfade0c02;
  static final int REQUIREMENTS_MAGIC = 0xfade0c01;
  static final int ENTITLEMENTS_MAGIC = 0xfade7171;
  static final int DER_ENTITLEMENTS_MAGIC = 0xfade7172;
  static final int CMS_WRAPPER_MAGIC = 0xfade0b01;

  static final int SLOT_CODE_DIRECTORY = 0;
  static final int SLOT_INFO = 1;
  static final int SLOT_REQUIREMENTS = 2;
  static final int SLOT_RESOURCE_DIR = 3;
  static final int SLOT_ENTITLEMENTS = 5;
  static final int SLOT_DER_ENTITLEMENTS = 7;
  static final int SLOT_ALTERNATE_CODE_DIRECTORIES = 0x1000;
  static final int MAX_ALTERNATE_CODE_DIRECTORIES = 5;
  static final int SLOT_SIGNATURE = 0x10000;

  private final Map<Integer, byte[]> blobs;

  private SuperBlob(Map<Integer, byte[]> blobs) {
    this.blobs = Collections.unmodifiableMap(blobs);
  }

  static SuperBlob parse(byte[] data) throws MachOFormatException {
    if (data.length < 12) {
      throw new MachOFormatException("code signature is " + data.length + " bytes, too short for a SuperBlob");
    }
    ByteBuffer b = ByteBuffer.wrap(data);
    int magic = b.getInt(0);
    if (magic != MAGIC) {
      throw new MachOFormatException(String.format("code signature: bad SuperBlob magic 0x%08x", magic));
    }
    long length = Integer.toUnsignedLong(b.getInt(4));
    if (length < 12 || length > data.length) {
      throw new MachOFormatException("SuperBlob length " + length + " is not in 12.." + data.length);
    }
    long count = Integer.toUnsignedLong(b.getInt(8));
    if (count > (length - 12) / 8) {
      throw new MachOFormatException("SuperBlob count " + count + " does not fit its " + length + " bytes");
    }
    Map<Integer, byte[]> blobs = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      int type = b.getInt(12 + 8 * i);
      long offset = Integer.toUnsignedLong(b.getInt(16 + 8 * i));
      if (offset < 12 + 8 * count || offset > length - 8) {
        throw new MachOFormatException("SuperBlob index " + i + ": blob offset " + offset + " is outside the SuperBlob");
      }
      long blobLength = Integer.toUnsignedLong(b.getInt((int) offset + 4));
      if (blobLength < 8 || blobLength > length - offset) {
        throw new MachOFormatException(String.format("SuperBlob slot 0x%x: blob length %d does not fit", type, blobLength));
      }
      if (blobs.put(type, Arrays.copyOfRange(data, (int) offset, (int) (offset + blobLength))) != null) {
        throw new MachOFormatException(String.format("SuperBlob slot 0x%x appears twice", type));
      }
    }
    return new SuperBlob(blobs);
  }

  Optional<byte[]> blob(int slot) {
    byte[] blob = blobs.get(slot);
    return blob == null ? Optional.empty() : Optional.of(blob.clone());
  }

  boolean has(int slot) {
    return blobs.containsKey(slot);
  }

  java.util.Set<Integer> slots() {
    return blobs.keySet();
  }

  static int magicOf(byte[] blob) {
    return ByteBuffer.wrap(blob).getInt(0);
  }
}
