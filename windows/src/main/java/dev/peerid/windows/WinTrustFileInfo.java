package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinNT;

/** WINTRUST_FILE_INFO (wintrust.h). Public only because JNA needs it; not part of peerid's API. */
@Structure.FieldOrder({"cbStruct", "pcwszFilePath", "hFile", "pgKnownSubject"})
public class WinTrustFileInfo extends Structure {
  /** Passed by pointer inside WINTRUST_DATA. */
  public static final class ByReference extends WinTrustFileInfo implements Structure.ByReference {
    public ByReference() {
      super();
    }

    ByReference(String path) {
      super(path);
    }
  }

  public int cbStruct;
  public WString pcwszFilePath;
  public WinNT.HANDLE hFile;
  public Pointer pgKnownSubject;

  public WinTrustFileInfo() {
    super();
  }

  WinTrustFileInfo(String path) {
    pcwszFilePath = new WString(path);
    cbStruct = size();
  }

  int offsetOf(String field) {
    return fieldOffset(field);
  }
}
