package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinNT;

/** WINTRUST_FILE_INFO (wintrust.h). Public only because JNA needs it; not part of peerid's API. */
@Structure.FieldOrder({"cbStruct", "pcwszFilePath", "hFile", "pgKnownSubject"})
public final class WinTrustFileInfo extends Structure {

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

  /** A view of a structure already in native memory (tests read what the verifier passed). */
  WinTrustFileInfo(Pointer p) {
    super(p);
    read();
  }

  int offsetOf(String field) {
    return fieldOffset(field);
  }
}
