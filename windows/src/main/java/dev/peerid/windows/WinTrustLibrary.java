package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.win32.StdCallLibrary;

/** wintrust.dll, which jna-platform does not map: WinVerifyTrust and the two provider-data helpers. */
interface WinTrustLibrary extends StdCallLibrary {
  /** {00AAC56B-CD44-11d0-8CC2-00C04FC295EE}. */
  Guid.GUID WINTRUST_ACTION_GENERIC_VERIFY_V2 = new Guid.GUID("{00AAC56B-CD44-11d0-8CC2-00C04FC295EE}");

  int WinVerifyTrust(WinDef.HWND window, Guid.GUID action, WinTrustData data);

  Pointer WTHelperProvDataFromStateData(WinNT.HANDLE stateData);

  Pointer WTHelperGetProvSignerFromChain(Pointer providerData, int signerIndex, boolean counterSigner,
      int counterSignerIndex);
}
