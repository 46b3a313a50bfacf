package dev.peerid.windows;

import com.sun.jna.Memory;
import com.sun.jna.WString;
import com.sun.jna.platform.win32.WinBase;
import com.sun.jna.platform.win32.WinNT;
import com.sun.jna.ptr.IntByReference;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Finds the system catalog that lists a file without an embedded signature, and has WinVerifyTrust
 * check that membership (WTD_CHOICE_CATALOG). The file is opened once, read-only with writers shut
 * out, and that one handle is both hashed and handed to WinVerifyTrust, so the hash that selects the
 * catalog and the bytes that are verified are the same. SHA-256 catalogs are searched first, then
 * SHA-1 ones (older catalogs list only SHA-1 hashes), as Windows itself does. Only the first catalog
 * listing the hash is checked. Every context and the file handle are released on every path.
 */
final class CatalogMembership {
  /** The hash algorithms tried, strongest first (CNG names, as CryptCATAdminAcquireContext2 takes them). */
  static final List<String> ALGORITHMS = List.of("SHA256", "SHA1");
  /** Larger than any hash a catalog context computes (SHA-512 is 64 bytes). */
  static final int MAX_HASH_BYTES = 64;

  /** What the catalog search came to. */
  sealed interface Result {}

  /**
   * A catalog lists the file's hash and WinVerifyTrust checked that membership.
   *
   * @param catalogFile the catalog's path
   * @param algorithm   the hash algorithm the catalog lists the file under
   * @param memberTag   the hash as upper-case hex (the member tag)
   * @param verdict     what WinVerifyTrust said about the catalog's signature and membership
   */
  record Listed(String catalogFile, String algorithm, String memberTag, WinTrustVerifier.Verdict verdict)
      implements Result {}

  /** No catalog lists the file; {@code hashes} are "ALGORITHM=HEX" for each hash that was looked up. */
  record NotListed(List<String> hashes) implements Result {
    NotListed {
      hashes = List.copyOf(hashes);
    }
  }

  /** The search could not be completed: a reason a person can act on. Never a reason to allow. */
  record Failed(String reason) implements Result {}

  private final WinTrustLibrary wintrust;
  private final Kernel32Library kernel32;

  CatalogMembership(WinTrustLibrary wintrust, Kernel32Library kernel32) {
    this.wintrust = Objects.requireNonNull(wintrust, "wintrust");
    this.kernel32 = Objects.requireNonNull(kernel32, "kernel32");
  }

  /**
   * Looks {@code path} up in the catalogs and, when one lists it, runs {@code verify} on the filled-in
   * WINTRUST_CATALOG_INFO while the catalog and administrator contexts are still held.
   */
  Result check(String path, Function<WinTrustCatalogInfo, WinTrustVerifier.Verdict> verify) {
    WinNT.HANDLE file = kernel32.CreateFileW(path, Kernel32Library.GENERIC_READ,
        Kernel32Library.FILE_SHARE_READ | Kernel32Library.FILE_SHARE_DELETE, null, Kernel32Library.OPEN_EXISTING,
        Kernel32Library.FILE_FLAG_SEQUENTIAL_SCAN, null);
    if (file == null || WinBase.INVALID_HANDLE_VALUE.equals(file)) {
      return new Failed("cannot open " + path + " to look it up in the system catalogs (error "
          + kernel32.lastError() + ")");
    }
    try {
      List<String> hashes = new ArrayList<>();
      for (String algorithm : ALGORITHMS) {
        Result r = checkWith(algorithm, path, file, verify, hashes);
        if (r != null) {
          return r;
        }
      }
      return new NotListed(hashes);
    } finally {
      kernel32.CloseHandle(file);
    }
  }

  /** The result for one algorithm, or null when no catalog lists the file under it (the next one is tried). */
  private Result checkWith(String algorithm, String path, WinNT.HANDLE file,
      Function<WinTrustCatalogInfo, WinTrustVerifier.Verdict> verify, List<String> hashes) {
    WinNT.HANDLEByReference adminRef = new WinNT.HANDLEByReference();
    if (!wintrust.CryptCATAdminAcquireContext2(adminRef, WinTrustLibrary.DRIVER_ACTION_VERIFY, algorithm, null, 0)
        || adminRef.getValue() == null) {
      return new Failed("CryptCATAdminAcquireContext2(" + algorithm + ") failed (error " + wintrust.lastError()
          + "): the system catalogs cannot be searched (Windows 8 or later is needed)");
    }
    WinNT.HANDLE admin = adminRef.getValue();
    try {
      Memory hash = new Memory(MAX_HASH_BYTES);
      hash.clear();
      IntByReference size = new IntByReference(MAX_HASH_BYTES);
      if (!wintrust.CryptCATAdminCalcHashFromFileHandle2(admin, file, size, hash, 0)) {
        return new Failed("CryptCATAdminCalcHashFromFileHandle2(" + algorithm + ") failed (error "
            + wintrust.lastError() + "): the catalog hash of " + path + " cannot be computed");
      }
      int n = size.getValue();
      if (n <= 0 || n > MAX_HASH_BYTES) {
        return new Failed("CryptCATAdminCalcHashFromFileHandle2(" + algorithm + ") returned a bad hash length " + n);
      }
      String memberTag = HexFormat.of().withUpperCase().formatHex(hash.getByteArray(0, n));
      hashes.add(algorithm + "=" + memberTag);
      WinNT.HANDLE catalog = wintrust.CryptCATAdminEnumCatalogFromHash(admin, hash, n, 0, null);
      if (catalog == null) {
        return null;
      }
      try {
        CatalogInfo info = new CatalogInfo();
        if (!wintrust.CryptCATCatalogInfoFromContext(catalog, info, 0)) {
          return new Failed("CryptCATCatalogInfoFromContext failed (error " + wintrust.lastError()
              + "): the catalog listing " + path + " cannot be located");
        }
        info.read();
        String catalogFile = info.catalogFile().orElse(null);
        if (catalogFile == null) {
          return new Failed("CryptCATCatalogInfoFromContext returned no catalog path for " + path);
        }
        WinTrustCatalogInfo member = new WinTrustCatalogInfo();
        member.pcwszCatalogFilePath = new WString(catalogFile);
        member.pcwszMemberTag = new WString(memberTag);
        member.pcwszMemberFilePath = new WString(path);
        member.hMemberFile = file;
        member.pbCalculatedFileHash = hash;
        member.cbCalculatedFileHash = n;
        member.hCatAdmin = admin;
        WinTrustVerifier.Verdict verdict = verify.apply(member);
        return new Listed(catalogFile, algorithm, memberTag, verdict);
      } finally {
        wintrust.CryptCATAdminReleaseCatalogContext(admin, catalog, 0);
      }
    } finally {
      wintrust.CryptCATAdminReleaseContext(admin, 0);
    }
  }
}
