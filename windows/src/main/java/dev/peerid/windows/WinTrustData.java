package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinNT;

/**
 * WINTRUST_DATA as mingw-w64's wintrust.h declares it (without the Windows 8 pSignatureSettings
 * tail; cbStruct tells WinVerifyTrust which version it gets). The union of subject pointers is one
 * {@link #pSubject}, pointing at a {@link WinTrustFileInfo} or a {@link WinTrustCatalogInfo} as
 * {@link #dwUnionChoice} says; the caller writes that structure and keeps it reachable until the
 * state is closed. Public only because JNA needs it.
 */
@Structure.FieldOrder({"cbStruct", "pPolicyCallbackData", "pSIPClientData", "dwUIChoice", "fdwRevocationChecks",
    "dwUnionChoice", "pSubject", "dwStateAction", "hWVTStateData", "pwszURLReference", "dwProvFlags", "dwUIContext"})
public final class WinTrustData extends Structure {
  public static final int WTD_UI_NONE = 2;
  public static final int WTD_REVOKE_NONE = 0;
  public static final int WTD_REVOKE_WHOLECHAIN = 1;
  public static final int WTD_CHOICE_FILE = 1;
  public static final int WTD_CHOICE_CATALOG = 2;
  public static final int WTD_STATEACTION_VERIFY = 1;
  public static final int WTD_STATEACTION_CLOSE = 2;
  public static final int WTD_REVOCATION_CHECK_NONE = 0x10;
  public static final int WTD_REVOCATION_CHECK_CHAIN = 0x40;
  public static final int WTD_CACHE_ONLY_URL_RETRIEVAL = 0x1000;

  public int cbStruct;
  public Pointer pPolicyCallbackData;
  public Pointer pSIPClientData;
  public int dwUIChoice;
  public int fdwRevocationChecks;
  public int dwUnionChoice;
  public Pointer pSubject;
  public int dwStateAction;
  public WinNT.HANDLE hWVTStateData;
  public WString pwszURLReference;
  public int dwProvFlags;
  public int dwUIContext;

  public WinTrustData() {
    super();
    cbStruct = size();
  }

  int offsetOf(String field) {
    return fieldOffset(field);
  }
}
