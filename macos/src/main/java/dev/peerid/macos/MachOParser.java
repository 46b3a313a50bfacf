package dev.peerid.macos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the container structure of a Mach-O file: the fat header (32- or 64-bit) and, per slice, the
 * Mach-O header and load commands up to {@code LC_CODE_SIGNATURE}. Every count, offset and size is
 * checked against what the file can hold before it is used.
 */
final class MachOParser {
  static final int FAT_MAGIC = 0xcafebabe;
  static final int FAT_MAGIC_64 = 0xcafebabf;
  static final int MH_MAGIC = 0xfeedface;
  static final int MH_MAGIC_64 = 0xfeedfacf;
  static final int MH_CIGAM = 0xcefaedfe;
  static final int MH_CIGAM_64 = 0xcffaedfe;
  static final int LC_CODE_SIGNATURE = 0x1d;

  /**
   * Java class files share the fat magic; their next field (minor, major version) reads as a
   * nfat_arch of 45 or more, while real universal binaries hold a handful of slices.
   */
  static final int MAX_FAT_ARCHS = 30;
  static final int MAX_LOAD_COMMANDS_SIZE = 16 << 20;
  static final int MAX_SIGNATURE_SIZE = 64 << 20;

  private MachOParser() {}

  /** True when {@code head} starts like a thin or universal Mach-O (not a Java class file). */
  static boolean looksLikeMachO(byte[] head) {
    if (head.length < 8) {
      return false;
    }
    ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
    int magic = b.getInt(0);
    if (magic == FAT_MAGIC || magic == FAT_MAGIC_64) {
      int n = b.getInt(4);
      return n > 0 && n <= MAX_FAT_ARCHS;
    }
    return magic == MH_MAGIC || magic == MH_MAGIC_64 || magic == MH_CIGAM || magic == MH_CIGAM_64;
  }

  static List<MachOSlice> parse(ByteSource source) throws IOException, MachOFormatException {
    if (source.size() < 8) {
      throw new MachOFormatException("not a Mach-O file: only " + source.size() + " bytes");
    }
    ByteBuffer head = ByteBuffer.wrap(source.read(0, 8)).order(ByteOrder.BIG_ENDIAN);
    int magic = head.getInt(0);
    if (magic == FAT_MAGIC || magic == FAT_MAGIC_64) {
      return parseFat(source, magic == FAT_MAGIC_64, head.getInt(4));
    }
    return List.of(parseThin(source, 0, source.size()));
  }

  private static List<MachOSlice> parseFat(ByteSource source, boolean is64, int nfat)
      throws IOException, MachOFormatException {
    if (nfat <= 0 || nfat > MAX_FAT_ARCHS) {
      throw new MachOFormatException("universal header: nfat_arch " + Integer.toUnsignedString(nfat)
          + " is not in 1.." + MAX_FAT_ARCHS + " (a Java class file?)");
    }
    int entrySize = is64 ? 32 : 20;
    ByteBuffer table = ByteBuffer.wrap(source.read(8, nfat * entrySize)).order(ByteOrder.BIG_ENDIAN);
    List<long[]> ranges = new ArrayList<>();
    for (int i = 0; i < nfat; i++) {
      int base = i * entrySize;
      long offset = is64 ? table.getLong(base + 8) : Integer.toUnsignedLong(table.getInt(base + 8));
      long size = is64 ? table.getLong(base + 16) : Integer.toUnsignedLong(table.getInt(base + 12));
      ByteSource.checkRange(offset, size, source.size(), "universal slice " + i);
      if (offset < 8L + (long) nfat * entrySize) {
        throw new MachOFormatException("universal slice " + i + " overlaps the fat header (offset " + offset + ")");
      }
      ranges.add(new long[] {offset, size, i});
    }
    ranges.sort(Comparator.comparingLong(r -> r[0]));
    for (int i = 1; i < ranges.size(); i++) {
      if (ranges.get(i - 1)[0] + ranges.get(i - 1)[1] > ranges.get(i)[0]) {
        throw new MachOFormatException("universal slices " + ranges.get(i - 1)[2] + " and " + ranges.get(i)[2]
            + " overlap");
      }
    }
    List<MachOSlice> slices = new ArrayList<>();
    for (int i = 0; i < nfat; i++) {
      int base = i * entrySize;
      long offset = is64 ? table.getLong(base + 8) : Integer.toUnsignedLong(table.getInt(base + 8));
      long size = is64 ? table.getLong(base + 16) : Integer.toUnsignedLong(table.getInt(base + 12));
      MachOSlice slice = parseThin(source, offset, size);
      String fatArch = architecture(table.getInt(base), table.getInt(base + 4));
      if (!fatArch.equals(slice.architecture())) {
        throw new MachOFormatException("universal slice " + i + ": the fat header says " + fatArch
            + " but the Mach-O header says " + slice.architecture());
      }
      slices.add(slice);
    }
    return List.copyOf(slices);
  }

  static MachOSlice parseThin(ByteSource source, long offset, long size) throws IOException, MachOFormatException {
    if (size < 28) {
      throw new MachOFormatException("Mach-O slice at " + offset + " is too short (" + size + " bytes)");
    }
    int rawMagic = ByteBuffer.wrap(source.read(offset, 4)).order(ByteOrder.BIG_ENDIAN).getInt();
    boolean is64;
    ByteOrder order;
    switch (rawMagic) {
      case MH_CIGAM -> { is64 = false; order = ByteOrder.LITTLE_ENDIAN; }
      case MH_CIGAM_64 -> { is64 = true; order = ByteOrder.LITTLE_ENDIAN; }
      case MH_MAGIC -> { is64 = false; order = ByteOrder.BIG_ENDIAN; }
      case MH_MAGIC_64 -> { is64 = true; order = ByteOrder.BIG_ENDIAN; }
      default -> throw new MachOFormatException(String.format("slice at %d: bad Mach-O magic 0x%08x", offset, rawMagic));
    }
    int headerSize = is64 ? 32 : 28;
    if (size < headerSize) {
      throw new MachOFormatException("Mach-O slice at " + offset + " is shorter than its header");
    }
    ByteBuffer header = ByteBuffer.wrap(source.read(offset, headerSize)).order(order);
    String arch = architecture(header.getInt(4), header.getInt(8));
    long ncmds = Integer.toUnsignedLong(header.getInt(16));
    long sizeofcmds = Integer.toUnsignedLong(header.getInt(20));
    if (sizeofcmds > MAX_LOAD_COMMANDS_SIZE || sizeofcmds > size - headerSize) {
      throw new MachOFormatException("Mach-O header: sizeofcmds " + sizeofcmds + " does not fit the slice of "
          + size + " bytes");
    }
    if (ncmds > sizeofcmds / 8) {
      throw new MachOFormatException("Mach-O header: " + ncmds + " load commands cannot fit in " + sizeofcmds + " bytes");
    }
    ByteBuffer cmds = ByteBuffer.wrap(source.read(offset + headerSize, (int) sizeofcmds)).order(order);
    long sigOff = -1;
    int sigSize = 0;
    int pos = 0;
    for (long i = 0; i < ncmds; i++) {
      if (sizeofcmds - pos < 8) {
        throw new MachOFormatException("load command " + i + " runs past sizeofcmds");
      }
      int cmd = cmds.getInt(pos);
      long cmdsize = Integer.toUnsignedLong(cmds.getInt(pos + 4));
      if (cmdsize < 8 || cmdsize > sizeofcmds - pos || cmdsize % 4 != 0) {
        throw new MachOFormatException("load command " + i + " has a bad size " + cmdsize);
      }
      if (cmd == LC_CODE_SIGNATURE) {
        if (sigOff >= 0) {
          throw new MachOFormatException("more than one LC_CODE_SIGNATURE");
        }
        if (cmdsize < 16) {
          throw new MachOFormatException("LC_CODE_SIGNATURE is " + cmdsize + " bytes, expected 16");
        }
        long dataoff = Integer.toUnsignedLong(cmds.getInt(pos + 8));
        long datasize = Integer.toUnsignedLong(cmds.getInt(pos + 12));
        ByteSource.checkRange(dataoff, datasize, size, "LC_CODE_SIGNATURE data");
        if (dataoff < headerSize + sizeofcmds) {
          throw new MachOFormatException("LC_CODE_SIGNATURE data at " + dataoff + " overlaps the load commands");
        }
        if (datasize < 12 || datasize > MAX_SIGNATURE_SIZE) {
          throw new MachOFormatException("LC_CODE_SIGNATURE datasize " + datasize + " is not in 12.." + MAX_SIGNATURE_SIZE);
        }
        sigOff = dataoff;
        sigSize = (int) datasize;
      }
      pos += (int) cmdsize;
    }
    return new MachOSlice(arch, offset, size, sigOff, sigSize);
  }

  static String architecture(int cputype, int cpusubtype) {
    int sub = cpusubtype & 0x00ffffff;
    return switch (cputype) {
      case 0x01000007 -> sub == 8 ? "x86_64h" : "x86_64";
      case 7 -> "i386";
      case 0x0100000c -> sub == 2 ? "arm64e" : "arm64";
      case 0x0200000c -> "arm64_32";
      case 12 -> "arm";
      case 18 -> "ppc";
      case 0x01000012 -> "ppc64";
      default -> "cpu" + Integer.toUnsignedString(cputype) + "/" + Integer.toUnsignedString(sub);
    };
  }
}
