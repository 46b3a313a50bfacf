package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinNT;

/**
 * WINTRUST_CATALOG_INFO (wintrust.h) with the Windows 8 {@code hCatAdmin} member, which
 * WinVerifyTrust needs to check a SHA-256 member hash. Public only because JNA needs it.
 */
@Structure.FieldOrder({"cbStruct", "dwCatalogVersion", "pcwszCatalogFilePath", "pcwszMemberTag",
    "pcwszMemberFilePath", "hMemberFile", "pbCalculatedFileHash", "cbCalculatedFileHash", "pcCatalogContext",
    "hCatAdmin"})
public final class WinTrustCatalogInfo extends Structure {
  public int cbStruct;
  public int dwCatalogVersion;
  public WString pcwszCatalogFilePath;
  public WString pcwszMemberTag;
  public WString pcwszMemberFilePath;
  public WinNT.HANDLE hMemberFile;
  public Pointer pbCalculatedFileHash;
  public int cbCalculatedFileHash;
  public Pointer pcCatalogContext;
  public WinNT.HANDLE hCatAdmin;

  public WinTrustCatalogInfo() {
    super();
    cbStruct = size();
  }

  /** A view of a structure already in native memory (tests read what the verifier passed). */
  WinTrustCatalogInfo(Pointer p) {
    super(p);
    read();
  }

  int offsetOf(String field) {
    return fieldOffset(field);
  }
}
