package dev.peerid.macos;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/** Byte-level edits of real signed Mach-O files, as an attacker would make them. */
final class Tamper {
  private Tamper() {}

  /** The slice's LC_CODE_SIGNATURE {dataoff, datasize}, found by the production parser. */
  static MachOSlice slice(byte[] file, long offset, long size) throws Exception {
    return MachOParser.parseThin(ByteSource.of(file), offset, size);
  }

  static MachOSlice thin(byte[] file) throws Exception {
    return slice(file, 0, file.length);
  }

  /** Offset in the file of the blob in {@code slot}, or -1. */
  static int blobOffset(byte[] file, MachOSlice slice, int slot) {
    int sb = (int) (slice.offset() + slice.signatureOffset());
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
    int count = b.getInt(sb + 8);
    for (int i = 0; i < count; i++) {
      if (b.getInt(sb + 12 + 8 * i) == slot) {
        return sb + b.getInt(sb + 16 + 8 * i);
      }
    }
    return -1;
  }

  static byte[] flip(byte[] file, long at) {
    byte[] copy = file.clone();
    copy[(int) at] ^= 0x40;
    return copy;
  }

  /** Flips a byte in the middle of the signed code of the slice. */
  static byte[] codePage(byte[] file, MachOSlice slice) {
    return flip(file, slice.offset() + slice.signatureOffset() / 2);
  }

  /** The blobs of the slice's SuperBlob by slot, in index order. */
  static Map<Integer, byte[]> blobs(byte[] file, MachOSlice slice) {
    Map<Integer, byte[]> blobs = new LinkedHashMap<>();
    int sb = (int) (slice.offset() + slice.signatureOffset());
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
    int count = b.getInt(sb + 8);
    for (int i = 0; i < count; i++) {
      int slot = b.getInt(sb + 12 + 8 * i);
      int at = sb + b.getInt(sb + 16 + 8 * i);
      int len = b.getInt(at + 4);
      byte[] blob = new byte[len];
      System.arraycopy(file, at, blob, 0, len);
      blobs.put(slot, blob);
    }
    return blobs;
  }

  /**
   * Rewrites the slice's SuperBlob with these blobs, in place inside the LC_CODE_SIGNATURE area
   * (which codesign leaves padded), so that nothing the code pages cover changes.
   */
  static byte[] withBlobs(byte[] file, MachOSlice slice, Map<Integer, byte[]> blobs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int header = 12 + 8 * blobs.size();
    int total = header + blobs.values().stream().mapToInt(x -> x.length).sum();
    if (total > slice.signatureSize()) {
      throw new IllegalArgumentException("new SuperBlob (" + total + ") exceeds the signature area (" + slice.signatureSize() + ")");
    }
    ByteBuffer index = ByteBuffer.allocate(header);
    index.putInt(SuperBlob.MAGIC).putInt(total).putInt(blobs.size());
    int at = header;
    for (Map.Entry<Integer, byte[]> e : blobs.entrySet()) {
      index.putInt(e.getKey()).putInt(at);
      at += e.getValue().length;
    }
    out.writeBytes(index.array());
    blobs.values().forEach(out::writeBytes);
    byte[] copy = file.clone();
    int sb = (int) (slice.offset() + slice.signatureOffset());
    java.util.Arrays.fill(copy, sb, sb + slice.signatureSize(), (byte) 0);
    System.arraycopy(out.toByteArray(), 0, copy, sb, total);
    return copy;
  }

  /** Sets nSpecialSlots of every CodeDirectory (their hashes then reach into the header bytes). */
  static byte[] specialSlots(byte[] file, MachOSlice slice, int n) {
    byte[] copy = file.clone();
    ByteBuffer b = ByteBuffer.wrap(copy);
    for (int slot : blobs(file, slice).keySet()) {
      if (slot == 0 || (slot >= 0x1000 && slot < 0x1005)) {
        b.putInt(blobOffset(file, slice, slot) + 24, n);
      }
    }
    return copy;
  }

  /** Replaces LC_CODE_SIGNATURE's command number so that the slice reads as unsigned. */
  static byte[] unsign(byte[] file) throws Exception {
    byte[] copy = file.clone();
    ByteBuffer b = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
    int ncmds = b.getInt(16);
    int pos = 32;
    for (int i = 0; i < ncmds; i++) {
      if (b.getInt(pos) == MachOParser.LC_CODE_SIGNATURE) {
        b.putInt(pos, 0x7ffffff0);
      }
      pos += b.getInt(pos + 4);
    }
    return copy;
  }

  /** A universal binary around these thin slices, each aligned to 2^14. */
  static byte[] fat(boolean fat64, byte[]... slices) throws Exception {
    int align = 1 << 14;
    int entry = fat64 ? 32 : 20;
    long offset = align;
    ByteBuffer header = ByteBuffer.allocate(8 + entry * slices.length).order(ByteOrder.BIG_ENDIAN);
    header.putInt(fat64 ? MachOParser.FAT_MAGIC_64 : MachOParser.FAT_MAGIC).putInt(slices.length);
    long[] offsets = new long[slices.length];
    for (int i = 0; i < slices.length; i++) {
      ByteBuffer s = ByteBuffer.wrap(slices[i]).order(ByteOrder.LITTLE_ENDIAN);
      offsets[i] = offset;
      header.putInt(s.getInt(4)).putInt(s.getInt(8));
      if (fat64) {
        header.putLong(offset).putLong(slices[i].length).putInt(14).putInt(0);
      } else {
        header.putInt((int) offset).putInt(slices[i].length).putInt(14);
      }
      offset += (slices[i].length + align - 1) / align * align;
    }
    byte[] out = new byte[(int) offset];
    System.arraycopy(header.array(), 0, out, 0, header.capacity());
    for (int i = 0; i < slices.length; i++) {
      System.arraycopy(slices[i], 0, out, (int) offsets[i], slices[i].length);
    }
    return out;
  }
}
