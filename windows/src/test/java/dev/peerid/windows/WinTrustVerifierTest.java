package dev.peerid.windows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.WinNT;
import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import com.sun.jna.ptr.IntByReference;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mockito.InOrder;

/**
 * WinVerifyTrust and the catalog administrator calls mocked at the JNA boundary. The provider data
 * WinVerifyTrust leaves behind, the hashes and the catalog path are written to real native memory
 * through our structure mappings, and what the verifier passes in (WINTRUST_FILE_INFO,
 * WINTRUST_CATALOG_INFO) is read back from native memory, so the marshalling runs for real.
 */
class WinTrustVerifierTest {
  private static final WinNT.HANDLE STATE = new WinNT.HANDLE(Pointer.createConstant(0x5151));
  private static final ExecutableFile FILE = new ExecutableFile(Path.of("C:\\Program Files\\Vendor\\client.exe"),
      "C:\\Program Files\\Vendor\\client.exe");

  private static final WinNT.HANDLE FILE_HANDLE = new WinNT.HANDLE(Pointer.createConstant(0xF11E));
  private static final WinNT.HANDLE ADMIN_SHA256 = new WinNT.HANDLE(Pointer.createConstant(0xAD256));
  private static final WinNT.HANDLE ADMIN_SHA1 = new WinNT.HANDLE(Pointer.createConstant(0xAD001));
  private static final WinNT.HANDLE CATALOG = new WinNT.HANDLE(Pointer.createConstant(0xCA7));
  private static final String CATALOG_FILE =
      "C:\\Windows\\system32\\CatRoot\\{F750E6C3-38EE-11D1-85E5-00C04FC295EE}\\Package_1.cat";
  private static final Map<String, WinNT.HANDLE> ADMINS = Map.of("SHA256", ADMIN_SHA256, "SHA1", ADMIN_SHA1);
  private static final Map<String, byte[]> HASHES = Map.of("SHA256", sequence(32, 0xA0), "SHA1", sequence(20, 0x10));

  WinTrustLibrary wintrust;
  Kernel32Library kernel32;
  X509Certificate cert;
  /** dwStateAction, revocation flags, provider flags, UI choice and union choice seen at each WinVerifyTrust call. */
  List<int[]> calls = new ArrayList<>();
  /** The file path of each WTD_CHOICE_FILE call. */
  List<String> paths = new ArrayList<>();
  /** The WINTRUST_CATALOG_INFO of each WTD_CHOICE_CATALOG call, read back from native memory. */
  List<WinTrustCatalogInfo> members = new ArrayList<>();
  List<byte[]> memberHashes = new ArrayList<>();
  final List<Memory> keepAlive = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    try (InputStream in = getClass().getResourceAsStream(
        "/dev/peerid/windows/authenticode/debian/debian-secure-boot-signer-2022-shim.pem")) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    wintrust = mock(WinTrustLibrary.class);
    kernel32 = mock(Kernel32Library.class);
    when(kernel32.CreateFileW(any(), anyInt(), anyInt(), any(), anyInt(), anyInt(), any())).thenReturn(FILE_HANDLE);
    Pointer provider = new Memory(64);
    keepAlive.add((Memory) provider);
    when(wintrust.WTHelperProvDataFromStateData(STATE)).thenReturn(provider);
    when(wintrust.WTHelperGetProvSignerFromChain(eq(provider), eq(0), eq(false), eq(0))).thenReturn(signerChain(cert));
  }

  /** CRYPT_PROVIDER_SGNR → CRYPT_PROVIDER_CERT[0] → CERT_CONTEXT → DER, in native memory. */
  private Pointer signerChain(X509Certificate c) throws Exception {
    byte[] der = c.getEncoded();
    Memory encoded = new Memory(der.length);
    encoded.write(0, der, 0, der.length);
    CryptProviderStructures.CertContext context = new CryptProviderStructures.CertContext();
    context.dwCertEncodingType = 1;
    context.pbCertEncoded = encoded;
    context.cbCertEncoded = der.length;
    context.write();
    CryptProviderStructures.Cert providerCert = new CryptProviderStructures.Cert();
    providerCert.cbStruct = providerCert.size();
    providerCert.pCert = context.getPointer();
    providerCert.write();
    CryptProviderStructures.Signer signer = new CryptProviderStructures.Signer();
    signer.cbStruct = signer.size();
    signer.csCertChain = 1;
    signer.pasCertChain = providerCert.getPointer();
    signer.write();
    keepAlive.add(encoded);
    held.add(context);
    held.add(providerCert);
    held.add(signer);
    return signer.getPointer();
  }

  private final List<Object> held = new ArrayList<>();

  private static byte[] sequence(int length, int first) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (first + i);
    }
    return b;
  }

  private void winVerifyTrustReturns(int hresult) {
    winVerifyTrustReturns(hresult, 0);
  }

  /** The embedded check (WTD_CHOICE_FILE) answers {@code embedded}, a catalog check {@code catalog}. */
  private void winVerifyTrustReturns(int embedded, int catalog) {
    doAnswer(inv -> {
      WinTrustData data = inv.getArgument(2);
      Guid.GUID action = inv.getArgument(1);
      assertEquals("{00AAC56B-CD44-11D0-8CC2-00C04FC295EE}", action.toGuidString().toUpperCase());
      calls.add(new int[] {data.dwStateAction, data.fdwRevocationChecks, data.dwProvFlags, data.dwUIChoice,
          data.dwUnionChoice});
      boolean isCatalog = data.dwUnionChoice == WinTrustData.WTD_CHOICE_CATALOG;
      if (data.dwStateAction == WinTrustData.WTD_STATEACTION_VERIFY) {
        if (isCatalog) {
          WinTrustCatalogInfo member = new WinTrustCatalogInfo(data.pSubject);
          members.add(member);
          memberHashes.add(member.pbCalculatedFileHash.getByteArray(0, member.cbCalculatedFileHash));
        } else {
          paths.add(new WinTrustFileInfo(data.pSubject).pcwszFilePath.toString());
        }
        data.hWVTStateData = STATE;
        return isCatalog ? catalog : embedded;
      }
      return 0;
    }).when(wintrust).WinVerifyTrust(any(), any(), any());
  }

  /** Both hash contexts can be acquired; {@code listedUnder} (or none when null) lists the file in CATALOG_FILE. */
  private void catalogs(String listedUnder) {
    when(wintrust.CryptCATAdminAcquireContext2(any(), any(), any(), isNull(), eq(0))).thenAnswer(inv -> {
      WinNT.HANDLE admin = ADMINS.get((String) inv.getArgument(2));
      assertEquals(WinTrustLibrary.DRIVER_ACTION_VERIFY.toGuidString(),
          ((Guid.GUID) inv.getArgument(1)).toGuidString(), "the operating-system catalog subsystem");
      ((WinNT.HANDLEByReference) inv.getArgument(0)).setValue(admin);
      return admin != null;
    });
    when(wintrust.CryptCATAdminCalcHashFromFileHandle2(any(), eq(FILE_HANDLE), any(), any(), eq(0))).thenAnswer(inv -> {
      WinNT.HANDLE admin = inv.getArgument(0);
      String algorithm = admin.equals(ADMIN_SHA256) ? "SHA256" : "SHA1";
      byte[] hash = HASHES.get(algorithm);
      IntByReference size = inv.getArgument(2);
      assertTrue(size.getValue() >= hash.length, "a buffer large enough for the hash");
      ((Pointer) inv.getArgument(3)).write(0, hash, 0, hash.length);
      size.setValue(hash.length);
      return true;
    });
    when(wintrust.CryptCATAdminEnumCatalogFromHash(any(), any(), anyInt(), eq(0), isNull())).thenAnswer(inv -> {
      WinNT.HANDLE admin = inv.getArgument(0);
      String algorithm = admin.equals(ADMIN_SHA256) ? "SHA256" : "SHA1";
      byte[] asked = ((Pointer) inv.getArgument(1)).getByteArray(0, inv.getArgument(2));
      assertArrayEquals(HASHES.get(algorithm), asked, "looked up by the hash computed with the same context");
      return algorithm.equals(listedUnder) ? CATALOG : null;
    });
    catalogPathIs(CATALOG_FILE + "\0");
  }

  /** CryptCATCatalogInfoFromContext writes {@code utf16} (include the NUL) into wszCatalogFile. */
  private void catalogPathIs(String utf16) {
    when(wintrust.CryptCATCatalogInfoFromContext(eq(CATALOG), any(), eq(0))).thenAnswer(inv -> {
      CatalogInfo info = inv.getArgument(1);
      assertEquals(info.size(), info.cbStruct, "cbStruct set");
      byte[] path = utf16.getBytes(StandardCharsets.UTF_16LE);
      info.getPointer().write(info.offsetOf("wszCatalogFile"), path, 0, Math.min(path.length, CatalogInfo.MAX_PATH * 2));
      return true;
    });
  }

  /** Every administrator context acquired was released, once, and every catalog context too, and the file closed. */
  private void everythingReleased(Set<WinNT.HANDLE> acquired, boolean catalogFound, WinNT.HANDLE catalogAdmin) {
    for (WinNT.HANDLE admin : ADMINS.values()) {
      verify(wintrust, acquired.contains(admin) ? org.mockito.Mockito.times(1) : never())
          .CryptCATAdminReleaseContext(admin, 0);
    }
    if (catalogFound) {
      verify(wintrust).CryptCATAdminReleaseCatalogContext(catalogAdmin, CATALOG, 0);
      InOrder order = inOrder(wintrust);
      order.verify(wintrust).CryptCATAdminReleaseCatalogContext(catalogAdmin, CATALOG, 0);
      order.verify(wintrust).CryptCATAdminReleaseContext(catalogAdmin, 0);
    } else {
      verify(wintrust, never()).CryptCATAdminReleaseCatalogContext(any(), any(), anyInt());
    }
    verify(kernel32).CloseHandle(FILE_HANDLE);
  }

  private CodeSignature check(WinTrustVerifier.Revocation revocation, TrustStore trust) {
    return new WinTrustVerifier(wintrust, kernel32, revocation).verify(FILE, VerificationContext.of(trust)).signature();
  }

  @Test
  void validFileReportsTheSignerAndClosesTheState() {
    winVerifyTrustReturns(0);
    CodeSignature sig = check(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("wintrust", sig.attribute("verifiedBy").orElseThrow());
    Signer signer = sig.signer().orElseThrow();
    assertEquals(cert, signer.certificate().orElseThrow());
    assertEquals(WinTrustVerifier.WINDOWS_TRUST, signer.trustName().orElseThrow());
    assertEquals(2, calls.size());
    assertEquals(WinTrustData.WTD_STATEACTION_VERIFY, calls.get(0)[0]);
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(1)[0]);
    assertEquals(WinTrustData.WTD_UI_NONE, calls.get(0)[3]);
    assertEquals(WinTrustData.WTD_CHOICE_FILE, calls.get(0)[4]);
    assertEquals(FILE.content().toString(), paths.get(0));
    assertEquals("embedded", sig.attribute("source").orElseThrow());
    assertTrue(sig.attribute("catalog").isEmpty());
    verify(kernel32, never()).CreateFileW(any(), anyInt(), anyInt(), any(), anyInt(), anyInt(), any());
    verify(wintrust, never()).CryptCATAdminAcquireContext2(any(), any(), any(), any(), anyInt());
  }

  @Test
  void pinnedSignerGetsItsTrustStoreNameAndARevokedOneIsRevoked() throws Exception {
    winVerifyTrustReturns(0);
    CodeSignature pinned = check(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert).build());
    assertEquals("debian", pinned.signer().orElseThrow().trustName().orElseThrow());
    CodeSignature revoked = check(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert)
        .revoke("sha256:" + Signer.fingerprint(cert)).build());
    assertEquals(SignatureStatus.REVOKED, revoked.status());
  }

  @Test
  void revocationFlags() {
    winVerifyTrustReturns(0);
    check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    check(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    check(WinTrustVerifier.Revocation.WHOLE_CHAIN_CACHE_ONLY, TrustStore.empty());
    assertEquals(WinTrustData.WTD_REVOKE_NONE, calls.get(0)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_NONE, calls.get(0)[2]);
    assertEquals(WinTrustData.WTD_REVOKE_WHOLECHAIN, calls.get(2)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_CHAIN, calls.get(2)[2]);
    assertEquals(WinTrustData.WTD_REVOKE_WHOLECHAIN, calls.get(4)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_CHAIN | WinTrustData.WTD_CACHE_ONLY_URL_RETRIEVAL, calls.get(4)[2]);
  }

  @ParameterizedTest
  @CsvSource({
      "0x80096010, INVALID, TRUST_E_BAD_DIGEST",
      "0x800B0109, UNTRUSTED, CERT_E_UNTRUSTEDROOT",
      "0x800B010C, REVOKED, CERT_E_REVOKED",
      "0x800B0111, REVOKED, TRUST_E_EXPLICIT_DISTRUST",
      "0x800B0101, UNTRUSTED, CERT_E_EXPIRED",
      "0x800B010A, UNTRUSTED, CERT_E_CHAINING",
      "0x800B0004, UNTRUSTED, TRUST_E_SUBJECT_NOT_TRUSTED",
      "0x800B010E, UNTRUSTED, CERT_E_REVOCATION_FAILURE",
      "0x80092026, UNTRUSTED, CRYPT_E_SECURITY_SETTINGS",
      "0x80096019, INVALID, TRUST_E_BAD_BASIC_CONSTRAINTS",
      "0x80096001, INVALID, TRUST_E_SYSTEM_ERROR",
      "0x800B0003, INVALID, TRUST_E_SUBJECT_FORM_UNKNOWN",
      "0x800B0001, INVALID, TRUST_E_PROVIDER_UNKNOWN",
      "0x80004005, INVALID, HRESULT 0x80004005"})
  void eachHresultMapsToAStatusAndReason(String hex, SignatureStatus status, String reason) {
    winVerifyTrustReturns(Integer.parseUnsignedInt(hex.substring(2), 16));
    CodeSignature sig = check(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    assertEquals(status, sig.status());
    assertTrue(sig.reasons().get(0).contains(reason), sig.reasons()::toString);
    assertEquals(hex.toUpperCase().replace("0X", "0x"), sig.attribute("hresult").orElseThrow());
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(calls.size() - 1)[0], "state closed");
    assertTrue(sig.signer().orElseThrow().trustName().isEmpty(), "nobody vouches for a refused file");
    verify(wintrust, never()).CryptCATAdminAcquireContext2(any(), any(), any(), any(), anyInt());
  }

  @Test
  void validWithoutProviderSignerIsNotValid() {
    winVerifyTrustReturns(0);
    when(wintrust.WTHelperGetProvSignerFromChain(any(), anyInt(), anyBoolean(), anyInt())).thenReturn(null);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
  }

  @Test
  void stateIsClosedEvenWhenReadingTheSignerThrows() {
    winVerifyTrustReturns(0);
    when(wintrust.WTHelperProvDataFromStateData(STATE)).thenThrow(new IllegalStateException("native crash"));
    assertThrows(IllegalStateException.class, () -> check(WinTrustVerifier.Revocation.NONE, TrustStore.empty()));
    assertEquals(2, calls.size());
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(1)[0]);
  }

  private static final int NOSIGNATURE = 0x800B0100;

  @Test
  void catalogListedFileIsValidWithTheCatalogsSigner() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    CodeSignature sig = check(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("catalog", sig.attribute("source").orElseThrow());
    assertEquals(CATALOG_FILE, sig.attribute("catalog").orElseThrow());
    assertEquals("SHA256", sig.attribute("catalogHashAlgorithm").orElseThrow());
    String tag = HexFormat.of().withUpperCase().formatHex(HASHES.get("SHA256"));
    assertEquals(tag, sig.attribute("memberTag").orElseThrow());
    assertEquals("0x00000000", sig.attribute("hresult").orElseThrow());
    assertEquals(cert, sig.signer().orElseThrow().certificate().orElseThrow());
    assertEquals(WinTrustVerifier.WINDOWS_TRUST, sig.signer().orElseThrow().trustName().orElseThrow());

    // file VERIFY, file CLOSE, catalog VERIFY, catalog CLOSE; the same revocation settings on both.
    assertEquals(4, calls.size());
    assertEquals(WinTrustData.WTD_CHOICE_CATALOG, calls.get(2)[4]);
    assertEquals(WinTrustData.WTD_STATEACTION_VERIFY, calls.get(2)[0]);
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(3)[0]);
    assertEquals(WinTrustData.WTD_CHOICE_CATALOG, calls.get(3)[4]);
    assertEquals(WinTrustData.WTD_REVOKE_WHOLECHAIN, calls.get(2)[1]);
    assertEquals(WinTrustData.WTD_UI_NONE, calls.get(2)[3]);

    WinTrustCatalogInfo member = members.get(0);
    assertEquals(member.size(), member.cbStruct);
    assertEquals(CATALOG_FILE, member.pcwszCatalogFilePath.toString());
    assertEquals(tag, member.pcwszMemberTag.toString());
    assertEquals(FILE.content().toString(), member.pcwszMemberFilePath.toString());
    assertEquals(FILE_HANDLE, member.hMemberFile, "the handle that was hashed is the one verified");
    assertEquals(32, member.cbCalculatedFileHash);
    assertArrayEquals(HASHES.get("SHA256"), memberHashes.get(0));
    assertEquals(ADMIN_SHA256, member.hCatAdmin, "a SHA-256 member hash needs its administrator context");

    verify(kernel32).CreateFileW(FILE.content().toString(), Kernel32Library.GENERIC_READ,
        Kernel32Library.FILE_SHARE_READ | Kernel32Library.FILE_SHARE_DELETE, null, Kernel32Library.OPEN_EXISTING,
        Kernel32Library.FILE_FLAG_SEQUENTIAL_SCAN, null);
    verify(wintrust, never()).CryptCATAdminAcquireContext2(any(), any(), eq("SHA1"), any(), anyInt());
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
    // The catalog context is released only after WinVerifyTrust closed the catalog state.
    InOrder order = inOrder(wintrust);
    order.verify(wintrust, org.mockito.Mockito.times(4)).WinVerifyTrust(any(), any(), any());
    order.verify(wintrust).CryptCATAdminReleaseCatalogContext(ADMIN_SHA256, CATALOG, 0);
  }

  @Test
  void catalogSignerIsCheckedAgainstTheTrustStore() throws Exception {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    CodeSignature pinned = check(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert).build());
    assertEquals("debian", pinned.signer().orElseThrow().trustName().orElseThrow());
    CodeSignature revoked = check(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert)
        .revoke("sha256:" + Signer.fingerprint(cert)).build());
    assertEquals(SignatureStatus.REVOKED, revoked.status());
    assertEquals(CATALOG_FILE, revoked.attribute("catalog").orElseThrow());
  }

  @ParameterizedTest
  @CsvSource({
      "0x800B0109, UNTRUSTED, CERT_E_UNTRUSTEDROOT",
      "0x80096010, INVALID, TRUST_E_BAD_DIGEST",
      "0x800B010C, REVOKED, CERT_E_REVOKED",
      "0x800B0100, UNSIGNED, TRUST_E_NOSIGNATURE",
      "0x80004005, INVALID, HRESULT 0x80004005"})
  void catalogThatWinVerifyTrustRefusesIsNotValid(String hex, SignatureStatus status, String reason) {
    winVerifyTrustReturns(NOSIGNATURE, Integer.parseUnsignedInt(hex.substring(2), 16));
    catalogs("SHA256");
    CodeSignature sig = check(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    assertEquals(status, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).contains(reason), sig.reasons()::toString);
    assertTrue(sig.reasons().stream().anyMatch(r -> r.contains("listed in catalog " + CATALOG_FILE)),
        sig.reasons()::toString);
    assertEquals(CATALOG_FILE, sig.attribute("catalog").orElseThrow());
    assertEquals(hex.toUpperCase().replace("0X", "0x"), sig.attribute("hresult").orElseThrow());
    assertTrue(sig.signer().orElseThrow().trustName().isEmpty(), "nobody vouches for a refused catalog");
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(calls.size() - 1)[0], "catalog state closed");
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
  }

  @Test
  void fileNoCatalogListsIsUnsignedWithBothHashes() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs(null);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.UNSIGNED, sig.status());
    String reason = sig.reasons().get(0);
    assertTrue(reason.contains("no embedded signature, and no catalog on this machine lists this file's hash"), reason);
    assertTrue(reason.contains("SHA256=" + HexFormat.of().withUpperCase().formatHex(HASHES.get("SHA256"))), reason);
    assertTrue(reason.contains("SHA1=" + HexFormat.of().withUpperCase().formatHex(HASHES.get("SHA1"))), reason);
    assertTrue(sig.signer().isEmpty());
    assertTrue(sig.attribute("catalog").isEmpty());
    assertEquals(2, calls.size(), "no catalog verification without a catalog");
    verify(wintrust, never()).CryptCATCatalogInfoFromContext(any(), any(), anyInt());
    everythingReleased(Set.of(ADMIN_SHA256, ADMIN_SHA1), false, null);
  }

  @Test
  void sha1CatalogIsFoundWhenNoSha256CatalogListsTheFile() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA1");
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("SHA1", sig.attribute("catalogHashAlgorithm").orElseThrow());
    String tag = HexFormat.of().withUpperCase().formatHex(HASHES.get("SHA1"));
    assertEquals(tag, sig.attribute("memberTag").orElseThrow());
    WinTrustCatalogInfo member = members.get(0);
    assertEquals(tag, member.pcwszMemberTag.toString());
    assertEquals(20, member.cbCalculatedFileHash);
    assertArrayEquals(HASHES.get("SHA1"), memberHashes.get(0));
    assertEquals(ADMIN_SHA1, member.hCatAdmin);
    everythingReleased(Set.of(ADMIN_SHA256, ADMIN_SHA1), true, ADMIN_SHA1);
    InOrder order = inOrder(wintrust);
    order.verify(wintrust).CryptCATAdminReleaseContext(ADMIN_SHA256, 0);
    order.verify(wintrust).CryptCATAdminAcquireContext2(any(), any(), eq("SHA1"), any(), anyInt());
  }

  @Test
  void failingCatalogHashIsNotValidAndReleasesTheContext() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    when(wintrust.CryptCATAdminCalcHashFromFileHandle2(any(), any(), any(), any(), anyInt())).thenReturn(false);
    when(wintrust.lastError()).thenReturn(1006);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("CryptCATAdminCalcHashFromFileHandle2(SHA256) failed (error 1006)"),
        sig.reasons()::toString);
    assertEquals(2, calls.size(), "nothing was verified against a catalog");
    verify(wintrust, never()).CryptCATAdminEnumCatalogFromHash(any(), any(), anyInt(), anyInt(), any());
    verify(wintrust, never()).CryptCATAdminAcquireContext2(any(), any(), eq("SHA1"), any(), anyInt());
    everythingReleased(Set.of(ADMIN_SHA256), false, null);
  }

  @Test
  void badHashLengthIsNotValid() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    when(wintrust.CryptCATAdminCalcHashFromFileHandle2(any(), any(), any(), any(), anyInt())).thenAnswer(inv -> {
      ((IntByReference) inv.getArgument(2)).setValue(CatalogMembership.MAX_HASH_BYTES + 1);
      return true;
    });
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("bad hash length 65"), sig.reasons()::toString);
    everythingReleased(Set.of(ADMIN_SHA256), false, null);
  }

  @Test
  void noCatalogAdministratorIsNotValid() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    when(wintrust.CryptCATAdminAcquireContext2(any(), any(), any(), any(), anyInt())).thenReturn(false);
    when(wintrust.lastError()).thenReturn(87);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("CryptCATAdminAcquireContext2(SHA256) failed (error 87)"),
        sig.reasons()::toString);
    verify(wintrust, never()).CryptCATAdminReleaseContext(any(), anyInt());
    verify(wintrust, never()).CryptCATAdminCalcHashFromFileHandle2(any(), any(), any(), any(), anyInt());
    verify(kernel32).CloseHandle(FILE_HANDLE);
  }

  @Test
  void unopenableFileIsNotValid() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    when(kernel32.CreateFileW(any(), anyInt(), anyInt(), any(), anyInt(), anyInt(), any()))
        .thenReturn(com.sun.jna.platform.win32.WinBase.INVALID_HANDLE_VALUE);
    when(kernel32.lastError()).thenReturn(32);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("cannot open " + FILE.content() + " to look it up in the system catalogs"
        + " (error 32)"), sig.reasons()::toString);
    verify(wintrust, never()).CryptCATAdminAcquireContext2(any(), any(), any(), any(), anyInt());
    verify(kernel32, never()).CloseHandle(any());
  }

  @Test
  void catalogWithoutAPathIsNotValidAndReleased() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    catalogPathIs("A".repeat(CatalogInfo.MAX_PATH));
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("returned no catalog path"), sig.reasons()::toString);
    assertEquals(2, calls.size());
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
  }

  @Test
  void failingCatalogInfoIsNotValidAndReleased() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    when(wintrust.CryptCATCatalogInfoFromContext(any(), any(), anyInt())).thenReturn(false);
    when(wintrust.lastError()).thenReturn(2);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().get(0).contains("CryptCATCatalogInfoFromContext failed (error 2)"), sig.reasons()::toString);
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
  }

  @Test
  void catalogValidWithoutSignerIsNotValid() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    when(wintrust.WTHelperGetProvSignerFromChain(any(), anyInt(), anyBoolean(), anyInt())).thenReturn(null);
    CodeSignature sig = check(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
    assertTrue(sig.reasons().contains("WinVerifyTrust succeeded but reported no signer certificate"),
        sig.reasons()::toString);
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
  }

  @Test
  void contextsAndStateAreReleasedWhenTheCatalogCheckThrows() {
    winVerifyTrustReturns(NOSIGNATURE, 0);
    catalogs("SHA256");
    // The embedded check leaves no state to read; the catalog check's signer walk crashes.
    when(wintrust.WTHelperProvDataFromStateData(STATE)).thenReturn(null)
        .thenThrow(new IllegalStateException("native crash"));
    assertThrows(IllegalStateException.class, () -> check(WinTrustVerifier.Revocation.NONE, TrustStore.empty()));
    assertEquals(4, calls.size());
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(3)[0]);
    assertEquals(WinTrustData.WTD_CHOICE_CATALOG, calls.get(3)[4]);
    everythingReleased(Set.of(ADMIN_SHA256), true, ADMIN_SHA256);
  }

  @Test
  void catalogPathDecoding() {
    CatalogInfo info = new CatalogInfo();
    assertTrue(info.catalogFile().isEmpty(), "empty path");
    byte[] path = "C:\\x\\\u00e9.cat\0".getBytes(StandardCharsets.UTF_16LE);
    System.arraycopy(path, 0, info.wszCatalogFile, 0, path.length);
    assertEquals("C:\\x\\\u00e9.cat", info.catalogFile().orElseThrow());
    java.util.Arrays.fill(info.wszCatalogFile, (byte) 'A');
    assertFalse(info.catalogFile().isPresent(), "no terminator");
  }
}
