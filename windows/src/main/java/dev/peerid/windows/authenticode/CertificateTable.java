package dev.peerid.windows.authenticode;

import java.util.ArrayList;
import java.util.List;

/**
 * Walks the WIN_CERTIFICATE entries of a certificate table, stricter than Windows (CVE-2013-3900):
 * each entry is one DER object followed by at most 7 zero bytes up to the next 8-byte boundary, and
 * the rounded entry lengths add up to exactly the directory size. Anything else is refused with a
 * message naming the rule, because bytes the signature does not cover are where payloads hide.
 */
public final class CertificateTable {
  static final int REVISION_2_0 = 0x0200;
  static final int PKCS_SIGNED_DATA = 0x0002;
  /** More entries than any signing tool writes; a bound on work for hostile tables. */
  static final int MAX_ENTRIES = 16;
  private static final int HEADER = 8;

  private CertificateTable() {}

  /** Parses a whole table; throws with the first rule broken. */
  public static List<WinCertificate> parse(byte[] table) throws PeFormatException {
    if (table.length == 0) {
      throw new PeFormatException("certificate table is empty");
    }
    List<WinCertificate> entries = new ArrayList<>();
    int pos = 0;
    while (pos < table.length) {
      if (entries.size() == MAX_ENTRIES) {
        throw new PeFormatException("certificate table has more than " + MAX_ENTRIES + " entries");
      }
      int index = entries.size();
      if (table.length - pos < HEADER) {
        throw new PeFormatException("certificate entry " + index + " at " + pos + ": " + (table.length - pos)
            + " bytes left, too few for a WIN_CERTIFICATE header");
      }
      long length = PeImage.u32(table, pos);
      int revision = PeImage.u16(table, pos + 4);
      int type = PeImage.u16(table, pos + 6);
      if (length <= HEADER) {
        throw new PeFormatException("certificate entry " + index + " at " + pos + ": dwLength " + length
            + " leaves no room for a signature");
      }
      long rounded = (length + 7) & ~7L;
      if (pos + rounded > table.length) {
        throw new PeFormatException("certificate entry " + index + " at " + pos + ": dwLength " + length
            + " (rounded to " + rounded + ") runs past the directory size " + table.length);
      }
      if (revision != REVISION_2_0) {
        throw new PeFormatException(String.format("certificate entry %d: wRevision 0x%04X is not 0x0200", index,
            revision));
      }
      if (type != PKCS_SIGNED_DATA) {
        throw new PeFormatException(String.format(
            "certificate entry %d: wCertificateType 0x%04X is not PKCS_SIGNED_DATA (0x0002)", index, type));
      }
      int contentStart = pos + HEADER;
      int contentEnd = (int) (pos + rounded);
      int derLength = derObjectLength(table, contentStart, contentEnd, index);
      int derEnd = contentStart + derLength;
      if (derEnd > pos + length) {
        throw new PeFormatException("certificate entry " + index + ": the DER object (" + derLength
            + " bytes) is longer than dwLength allows");
      }
      int padding = contentEnd - derEnd;
      if (padding > 7) {
        throw new PeFormatException("certificate entry " + index + ": " + padding
            + " bytes after the signature object (at most 7 bytes of zero padding are allowed)");
      }
      for (int i = derEnd; i < contentEnd; i++) {
        if (table[i] != 0) {
          throw new PeFormatException("certificate entry " + index + ": non-zero padding byte after the signature"
              + " object");
        }
      }
      byte[] der = new byte[derLength];
      System.arraycopy(table, contentStart, der, 0, derLength);
      entries.add(new WinCertificate(pos, revision, type, der));
      pos = contentEnd;
    }
    return List.copyOf(entries);
  }

  /** Length of the DER SEQUENCE starting at {@code start}, tag and length octets included. */
  static int derObjectLength(byte[] b, int start, int end, int index) throws PeFormatException {
    if (end - start < 2) {
      throw new PeFormatException("certificate entry " + index + ": too short for a DER object");
    }
    if ((b[start] & 0xFF) != 0x30) {
      throw new PeFormatException(String.format(
          "certificate entry %d: content starts with tag 0x%02X, not a DER SEQUENCE", index, b[start] & 0xFF));
    }
    int first = b[start + 1] & 0xFF;
    long contentLength;
    int lengthOctets;
    if (first < 0x80) {
      contentLength = first;
      lengthOctets = 1;
    } else if (first == 0x80) {
      throw new PeFormatException("certificate entry " + index + ": indefinite-length encoding is not DER");
    } else {
      int n = first & 0x7F;
      if (n > 4) {
        throw new PeFormatException("certificate entry " + index + ": DER length of " + n + " octets");
      }
      if (end - start < 2 + n) {
        throw new PeFormatException("certificate entry " + index + ": DER length octets are cut off");
      }
      contentLength = 0;
      for (int i = 0; i < n; i++) {
        contentLength = contentLength << 8 | (b[start + 2 + i] & 0xFF);
      }
      if ((b[start + 2] & 0xFF) == 0 || contentLength < 0x80) {
        throw new PeFormatException("certificate entry " + index + ": DER length is not minimally encoded");
      }
      lengthOctets = 1 + n;
    }
    long total = 1 + lengthOctets + contentLength;
    if (start + total > end) {
      throw new PeFormatException("certificate entry " + index + ": the DER object (" + total
          + " bytes) runs past its entry");
    }
    return (int) total;
  }
}
