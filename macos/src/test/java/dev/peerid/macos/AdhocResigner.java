package dev.peerid.macos;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-signs a thin 64-bit Mach-O ad-hoc, the way {@code codesign -s -} lays a signature out, with
 * chosen CodeDirectory hash types, flags and entitlements. No public tool here produces SHA-384 or
 * SHA-256/20 CodeDirectories or ad-hoc entitlements (ldid/rcodesign are not packaged), so the test
 * writes them itself; the code bytes it covers are those of a real Go-linked or Maven Central file.
 * Only the signature is replaced ({@code __LINKEDIT}'s size is left as it was: the verifier does not
 * read segments).
 */
final class AdhocResigner {
  static final int VERSION = 0x20400;
  static final int HEADER = 88;

  private AdhocResigner() {}

  static byte[] sign(byte[] thin, String identifier, byte[] entitlements, int flags, List<HashType> types)
      throws Exception {
    return sign(thin, identifier, entitlements, null, flags, types);
  }

  /** As above, also binding an Info.plist kept outside the binary (as in an app bundle) to slot 1. */
  static byte[] sign(byte[] thin, String identifier, byte[] entitlements, byte[] externalInfoPlist, int flags,
      List<HashType> types) throws Exception {
    MachOSlice slice = Tamper.thin(thin);
    int codeLimit = (int) slice.signatureOffset();
    ByteBuffer le = ByteBuffer.wrap(thin).order(ByteOrder.LITTLE_ENDIAN);
    int lcAt = findCodeSignatureCommand(le);

    byte[] requirements = ByteBuffer.allocate(12).putInt(SuperBlob.REQUIREMENTS_MAGIC).putInt(12).putInt(0).array();
    byte[] entitlementsBlob = entitlements == null ? null
        : ByteBuffer.allocate(8 + entitlements.length).putInt(SuperBlob.ENTITLEMENTS_MAGIC)
            .putInt(8 + entitlements.length).put(entitlements).array();
    int nSpecial = entitlementsBlob == null ? SuperBlob.SLOT_REQUIREMENTS : SuperBlob.SLOT_ENTITLEMENTS;
    int nCode = (codeLimit + 4095) / 4096;
    byte[] ident = (identifier + "\0").getBytes(StandardCharsets.UTF_8);

    int blobCount = 1 + (entitlementsBlob == null ? 1 : 2) + (types.size() - 1);
    int total = 12 + 8 * blobCount + requirements.length + (entitlementsBlob == null ? 0 : entitlementsBlob.length);
    for (HashType t : types) {
      total += HEADER + ident.length + (nSpecial + nCode) * t.size;
    }
    int datasize = (total + 15) / 16 * 16;
    byte[] out = Arrays.copyOf(thin, codeLimit + datasize);
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(lcAt + 12, datasize);

    List<byte[]> directories = new ArrayList<>();
    for (HashType t : types) {
      ByteBuffer cd = ByteBuffer.allocate(HEADER + ident.length + (nSpecial + nCode) * t.size);
      int hashOffset = HEADER + ident.length + nSpecial * t.size;
      cd.putInt(SuperBlob.CODE_DIRECTORY_MAGIC).putInt(cd.capacity()).putInt(VERSION).putInt(flags)
          .putInt(hashOffset).putInt(HEADER).putInt(nSpecial).putInt(nCode).putInt(codeLimit)
          .put((byte) t.size).put((byte) t.code).put((byte) 0).put((byte) 12);
      cd.position(HEADER);
      cd.put(ident);
      cd.position(hashOffset - SuperBlob.SLOT_REQUIREMENTS * t.size);
      cd.put(t.hash(requirements));
      if (externalInfoPlist != null) {
        cd.position(hashOffset - SuperBlob.SLOT_INFO * t.size);
        cd.put(t.hash(externalInfoPlist));
      }
      if (entitlementsBlob != null) {
        cd.position(hashOffset - SuperBlob.SLOT_ENTITLEMENTS * t.size);
        cd.put(t.hash(entitlementsBlob));
      }
      cd.position(hashOffset);
      for (int page = 0; page < nCode; page++) {
        int from = page * 4096;
        cd.put(t.hash(Arrays.copyOfRange(out, from, Math.min(from + 4096, codeLimit))));
      }
      directories.add(cd.array());
    }

    Map<Integer, byte[]> blobs = new LinkedHashMap<>();
    blobs.put(SuperBlob.SLOT_CODE_DIRECTORY, directories.get(0));
    blobs.put(SuperBlob.SLOT_REQUIREMENTS, requirements);
    if (entitlementsBlob != null) {
      blobs.put(SuperBlob.SLOT_ENTITLEMENTS, entitlementsBlob);
    }
    for (int i = 1; i < directories.size(); i++) {
      blobs.put(SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES + i - 1, directories.get(i));
    }
    ByteArrayOutputStream sb = new ByteArrayOutputStream();
    ByteBuffer index = ByteBuffer.allocate(12 + 8 * blobs.size()).putInt(SuperBlob.MAGIC).putInt(total)
        .putInt(blobs.size());
    int at = index.capacity();
    for (Map.Entry<Integer, byte[]> e : blobs.entrySet()) {
      index.putInt(e.getKey()).putInt(at);
      at += e.getValue().length;
    }
    sb.writeBytes(index.array());
    blobs.values().forEach(sb::writeBytes);
    System.arraycopy(sb.toByteArray(), 0, out, codeLimit, total);
    return out;
  }

  private static int findCodeSignatureCommand(ByteBuffer le) {
    int ncmds = le.getInt(16);
    int pos = 32;
    for (int i = 0; i < ncmds; i++) {
      if (le.getInt(pos) == MachOParser.LC_CODE_SIGNATURE) {
        return pos;
      }
      pos += le.getInt(pos + 4);
    }
    throw new IllegalArgumentException("no LC_CODE_SIGNATURE");
  }
}
