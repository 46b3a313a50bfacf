package dev.peerid.windows.authenticode;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The few facts of a PE32 / PE32+ header that Authenticode needs: where the checksum and the
 * certificate-table directory entry are (both excluded from the image hash) and where the
 * certificate table lies. Parsing reads the headers and the section table (at most 2.6 MB) and checks every offset
 * against the file size, so a hostile header cannot make it read far or allocate much.
 */
public final class PeImage {
  /** PE32 optional-header magic. */
  public static final int PE32 = 0x10B;
  /** PE32+ optional-header magic. */
  public static final int PE32_PLUS = 0x20B;

  private static final int CERTIFICATE_TABLE_INDEX = 4;
  /** e_lfanew beyond this is not a real image (Windows' own loader refuses far smaller values). */
  private static final long MAX_HEADER_OFFSET = 1L << 24;
  /**
   * The loader finds the PE header wherever e_lfanew points, even inside the 64-byte DOS header
   * (packers and tiny images write 4 or 16); only "MZ" itself must stay clear of it.
   */
  static final long MIN_HEADER_OFFSET = 4;
  /** Offset of SizeOfHeaders in the optional header (PE32 and PE32+ alike). */
  private static final int SIZE_OF_HEADERS = 60;

  private final long fileSize;
  private final int magic;
  private final long checksumOffset;
  private final long certificateDirectoryOffset;
  private final boolean hasCertificateDirectory;
  private final long certificateTableOffset;
  private final long certificateTableSize;
  private final long headerEnd;
  private final long sectionDataEnd;
  private final long sizeOfHeaders;
  private final List<long[]> sectionRawData;

  private PeImage(long fileSize, int magic, long checksumOffset, long certificateDirectoryOffset,
      boolean hasCertificateDirectory, long certificateTableOffset, long certificateTableSize, long headerEnd,
      long sectionDataEnd, long sizeOfHeaders, List<long[]> sectionRawData) {
    this.fileSize = fileSize;
    this.magic = magic;
    this.checksumOffset = checksumOffset;
    this.certificateDirectoryOffset = certificateDirectoryOffset;
    this.hasCertificateDirectory = hasCertificateDirectory;
    this.certificateTableOffset = certificateTableOffset;
    this.certificateTableSize = certificateTableSize;
    this.headerEnd = headerEnd;
    this.sectionDataEnd = sectionDataEnd;
    this.sizeOfHeaders = sizeOfHeaders;
    this.sectionRawData = sectionRawData;
  }

  /** Parses the headers of an in-memory image. */
  public static PeImage parse(byte[] image) throws PeFormatException {
    try {
      return parse(ByteSource.of(image));
    } catch (IOException e) {
      throw new PeFormatException("cannot read PE image: " + e.getMessage());
    }
  }

  /** Parses the headers and section table of a file. */
  public static PeImage parse(java.nio.channels.FileChannel file) throws IOException, PeFormatException {
    return parse(ByteSource.of(file));
  }

  static PeImage parse(ByteSource src) throws IOException, PeFormatException {
    long size = src.size();
    if (size < 0x40) {
      throw new PeFormatException("too short for a PE image (" + size + " bytes)");
    }
    byte[] dos = new byte[0x40];
    src.readFully(0, dos);
    if (dos[0] != 'M' || dos[1] != 'Z') {
      throw new PeFormatException("no MZ signature");
    }
    long peOffset = u32(dos, 0x3C);
    if (peOffset < MIN_HEADER_OFFSET || peOffset > MAX_HEADER_OFFSET) {
      throw new PeFormatException("PE header offset e_lfanew " + peOffset + " is out of range");
    }
    if (peOffset + 24 > size) {
      throw new PeFormatException("PE header offset e_lfanew " + peOffset + " lies past the end of the file");
    }
    byte[] coff = new byte[24];
    readOrFail(src, peOffset, coff, "PE/COFF header");
    if (coff[0] != 'P' || coff[1] != 'E' || coff[2] != 0 || coff[3] != 0) {
      throw new PeFormatException("no PE\\0\\0 signature at e_lfanew " + peOffset);
    }
    int numberOfSections = u16(coff, 4 + 2);
    int optionalHeaderSize = u16(coff, 4 + 16);
    long optionalHeader = peOffset + 24;
    if (optionalHeaderSize < 2) {
      throw new PeFormatException("optional header is missing (SizeOfOptionalHeader " + optionalHeaderSize + ")");
    }
    if (optionalHeader + optionalHeaderSize > size) {
      throw new PeFormatException("optional header (" + optionalHeaderSize + " bytes) runs past the end of the file");
    }
    byte[] opt = new byte[optionalHeaderSize];
    src.readFully(optionalHeader, opt);
    int magic = u16(opt, 0);
    int rvaCountOffset;
    int directoriesOffset;
    if (magic == PE32) {
      rvaCountOffset = 92;
      directoriesOffset = 96;
    } else if (magic == PE32_PLUS) {
      rvaCountOffset = 108;
      directoriesOffset = 112;
    } else {
      throw new PeFormatException(String.format("unknown optional header magic 0x%X (expected 0x10B or 0x20B)", magic));
    }
    if (optionalHeaderSize < directoriesOffset) {
      throw new PeFormatException("optional header too short (" + optionalHeaderSize + " bytes) for a "
          + (magic == PE32 ? "PE32" : "PE32+") + " image");
    }
    long rvaCount = u32(opt, rvaCountOffset);
    long directoriesThatFit = (optionalHeaderSize - directoriesOffset) / 8;
    if (rvaCount > directoriesThatFit) {
      throw new PeFormatException("NumberOfRvaAndSizes " + rvaCount + " does not fit in the optional header ("
          + directoriesThatFit + " entries fit)");
    }
    long sectionTable = optionalHeader + optionalHeaderSize;
    long sectionTableEnd = sectionTable + 40L * numberOfSections;
    if (sectionTableEnd > size) {
      throw new PeFormatException("section table (" + numberOfSections + " sections) runs past the end of the file");
    }
    byte[] sections = new byte[40 * numberOfSections];
    src.readFully(sectionTable, sections);
    long sectionDataEnd = 0;
    List<long[]> rawData = new ArrayList<>();
    for (int i = 0; i < numberOfSections; i++) {
      long rawSize = u32(sections, 40 * i + 16);
      long rawPointer = u32(sections, 40 * i + 20);
      if (rawSize > 0) {
        sectionDataEnd = Math.max(sectionDataEnd, rawPointer + rawSize);
        rawData.add(new long[] {rawPointer, rawSize});
      }
    }
    rawData.sort(Comparator.comparingLong(r -> r[0]));
    long checksumOffset = optionalHeader + 64;
    int certDirectory = directoriesOffset + 8 * CERTIFICATE_TABLE_INDEX;
    boolean hasDirectory = rvaCount > CERTIFICATE_TABLE_INDEX;
    long tableOffset = 0;
    long tableSize = 0;
    if (hasDirectory) {
      tableOffset = u32(opt, certDirectory);
      tableSize = u32(opt, certDirectory + 4);
    }
    return new PeImage(size, magic, checksumOffset, optionalHeader + certDirectory, hasDirectory,
        tableOffset, tableSize, sectionTableEnd, sectionDataEnd, u32(opt, SIZE_OF_HEADERS), List.copyOf(rawData));
  }

  private static void readOrFail(ByteSource src, long pos, byte[] dst, String what)
      throws IOException, PeFormatException {
    try {
      src.readFully(pos, dst);
    } catch (EOFException e) {
      throw new PeFormatException(what + " runs past the end of the file");
    }
  }

  static int u16(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
  }

  static long u32(byte[] b, int off) {
    return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16 | (b[off + 3] & 0xFFL) << 24;
  }

  public long fileSize() {
    return fileSize;
  }

  /** {@link #PE32} or {@link #PE32_PLUS}. */
  public int magic() {
    return magic;
  }

  /** File offset of the 4-byte CheckSum field. */
  public long checksumOffset() {
    return checksumOffset;
  }

  /** File offset of the 8-byte certificate-table data-directory entry (meaningful when it exists). */
  public long certificateDirectoryOffset() {
    return certificateDirectoryOffset;
  }

  /** True when NumberOfRvaAndSizes is at least 5, so the certificate-table entry exists. */
  public boolean hasCertificateDirectory() {
    return hasCertificateDirectory;
  }

  /** True when the certificate-table entry names a table (offset or size non-zero). */
  public boolean hasCertificateTable() {
    return hasCertificateDirectory && (certificateTableOffset != 0 || certificateTableSize != 0);
  }

  /** File offset of the certificate table (the directory entry's "VirtualAddress" is a file offset). */
  public long certificateTableOffset() {
    return certificateTableOffset;
  }

  public long certificateTableSize() {
    return certificateTableSize;
  }

  /** End of the headers and section table. */
  public long headerEnd() {
    return headerEnd;
  }

  /** End of the furthest section's raw data (PointerToRawData + SizeOfRawData), 0 without sections. */
  public long sectionDataEnd() {
    return sectionDataEnd;
  }

  /** SizeOfHeaders from the optional header: what the loader maps of the file's start. */
  public long sizeOfHeaders() {
    return sizeOfHeaders;
  }

  /** Each section's raw data {PointerToRawData, SizeOfRawData} (non-empty ones), by file offset. */
  List<long[]> sectionRawData() {
    return sectionRawData;
  }

  /**
   * Checks the certificate table's placement the strict way (CVE-2013-3900): it starts 8-aligned
   * after the headers, lies inside the file, and nothing follows it.
   */
  public void checkCertificateTablePlacement() throws PeFormatException {
    if (!hasCertificateTable()) {
      throw new PeFormatException("no certificate table");
    }
    if (certificateTableOffset == 0 || certificateTableSize == 0) {
      throw new PeFormatException("certificate table entry is half empty (offset " + certificateTableOffset
          + ", size " + certificateTableSize + ")");
    }
    if (certificateTableOffset % 8 != 0) {
      throw new PeFormatException("certificate table offset " + certificateTableOffset + " is not 8-aligned");
    }
    if (certificateTableOffset < headerEnd) {
      throw new PeFormatException("certificate table at " + certificateTableOffset
          + " overlaps the PE headers (which end at " + headerEnd + ")");
    }
    if (certificateTableOffset < sectionDataEnd) {
      // Section bytes inside the table are not hashed, yet the loader maps them: unsigned attributes
      // could then carry code.
      throw new PeFormatException("certificate table at " + certificateTableOffset
          + " overlaps section data (which ends at " + sectionDataEnd + ")");
    }
    long end = certificateTableOffset + certificateTableSize;
    if (end > fileSize) {
      throw new PeFormatException("certificate table [" + certificateTableOffset + ", " + end
          + ") runs past the end of the file (" + fileSize + " bytes)");
    }
    if (end != fileSize) {
      throw new PeFormatException((fileSize - end) + " bytes follow the certificate table (data appended after"
          + " the signature is refused)");
    }
  }

  @Override
  public String toString() {
    return "PeImage{" + (magic == PE32 ? "PE32" : "PE32+") + ", size=" + fileSize + ", certificateTable="
        + certificateTableOffset + "+" + certificateTableSize + "}";
  }
}
