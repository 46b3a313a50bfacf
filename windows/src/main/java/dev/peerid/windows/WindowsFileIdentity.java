package dev.peerid.windows;

import com.sun.jna.Memory;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import dev.peerid.FileIdentity;
import dev.peerid.PeerIdentificationException;
import java.util.HexFormat;

/**
 * The identity of an image file as the verification cache needs it: volume serial number and the
 * 128-bit file id (a replaced file gets a new id), size, last-write and change times. Timestamps on
 * Windows can be set by whoever may write the file, so the file id carries the weight.
 */
final class WindowsFileIdentity {
  /** 100-ns intervals between 1601-01-01 and 1970-01-01. */
  private static final long EPOCH_DIFF = 116_444_736_000_000_000L;

  private WindowsFileIdentity() {}

  static FileIdentity read(Kernel32Library kernel32, String path) throws PeerIdentificationException {
    WinNT.HANDLE file = kernel32.CreateFileW(path, Kernel32Library.FILE_READ_ATTRIBUTES, Kernel32Library.FILE_SHARE_ALL,
        null, Kernel32Library.OPEN_EXISTING, 0, null);
    if (file == null || WinBase.INVALID_HANDLE_VALUE.equals(file)) {
      throw new PeerIdentificationException("cannot open the image " + path + " (error " + kernel32.lastError() + ")");
    }
    try {
      Memory id = query(kernel32, file, Kernel32Library.FILE_ID_INFO, 24, "FileIdInfo");
      Memory basic = query(kernel32, file, Kernel32Library.FILE_BASIC_INFO, 40, "FileBasicInfo");
      Memory standard = query(kernel32, file, Kernel32Library.FILE_STANDARD_INFO, 24, "FileStandardInfo");
      long volume = id.getLong(0);
      byte[] fileId = id.getByteArray(8, 16);
      long inode = java.nio.ByteBuffer.wrap(fileId).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0);
      return new FileIdentity(volume, inode, standard.getLong(8), nanos(basic.getLong(16)), nanos(basic.getLong(24)),
          "fileid:" + HexFormat.of().formatHex(fileId));
    } finally {
      kernel32.CloseHandle(file);
    }
  }

  private static Memory query(Kernel32Library kernel32, WinNT.HANDLE file, int infoClass, int size, String what)
      throws PeerIdentificationException {
    Memory m = new Memory(size);
    m.clear();
    if (!kernel32.GetFileInformationByHandleEx(file, infoClass, m, size)) {
      throw new PeerIdentificationException("GetFileInformationByHandleEx(" + what + ") failed (error "
          + kernel32.lastError() + ")");
    }
    return m;
  }

  /** FILETIME (100 ns since 1601) to nanoseconds since the Unix epoch. */
  static long nanos(long filetime) {
    return (filetime - EPOCH_DIFF) * 100;
  }
}
