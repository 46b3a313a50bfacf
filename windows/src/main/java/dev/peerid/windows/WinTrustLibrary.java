package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.WinDef;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.StdCallLibrary;

/**
 * wintrust.dll, which jna-platform does not map: WinVerifyTrust, the two provider-data helpers, and
 * the catalog administrator calls that find the catalog listing a file without an embedded signature.
 */
interface WinTrustLibrary extends StdCallLibrary {
  /** {00AAC56B-CD44-11d0-8CC2-00C04FC295EE}. */
  Guid.GUID WINTRUST_ACTION_GENERIC_VERIFY_V2 = new Guid.GUID("{00AAC56B-CD44-11d0-8CC2-00C04FC295EE}");
  /** {F750E6C3-38EE-11d1-85E5-00C04FC295EE}: the catalog subsystem of operating-system components and drivers. */
  Guid.GUID DRIVER_ACTION_VERIFY = new Guid.GUID("{F750E6C3-38EE-11d1-85E5-00C04FC295EE}");

  int WinVerifyTrust(WinDef.HWND window, Guid.GUID action, WinTrustData data);

  Pointer WTHelperProvDataFromStateData(WinNT.HANDLE stateData);

  Pointer WTHelperGetProvSignerFromChain(Pointer providerData, int signerIndex, boolean counterSigner,
      int counterSignerIndex);

  /** Windows 8+. {@code hashAlgorithm} is a CNG name ("SHA256", "SHA1"); release with {@link #CryptCATAdminReleaseContext}. */
  boolean CryptCATAdminAcquireContext2(WinNT.HANDLEByReference catAdmin, Guid.GUID subsystem, String hashAlgorithm,
      Pointer strongHashPolicy, int flags);

  /** The file's Authenticode (SIP) hash in the context's algorithm; {@code hashSize} is in/out. */
  boolean CryptCATAdminCalcHashFromFileHandle2(WinNT.HANDLE catAdmin, WinNT.HANDLE file, IntByReference hashSize,
      Pointer hash, int flags);

  /** The next catalog listing the hash, or null; release with {@link #CryptCATAdminReleaseCatalogContext}. */
  WinNT.HANDLE CryptCATAdminEnumCatalogFromHash(WinNT.HANDLE catAdmin, Pointer hash, int hashSize, int flags,
      WinNT.HANDLEByReference previousCatalog);

  boolean CryptCATCatalogInfoFromContext(WinNT.HANDLE catalog, CatalogInfo info, int flags);

  boolean CryptCATAdminReleaseCatalogContext(WinNT.HANDLE catAdmin, WinNT.HANDLE catalog, int flags);

  boolean CryptCATAdminReleaseContext(WinNT.HANDLE catAdmin, int flags);

  /** The calling thread's last Win32 error, as JNA saved it right after the previous call. */
  default int lastError() {
    return com.sun.jna.Native.getLastError();
  }
}
