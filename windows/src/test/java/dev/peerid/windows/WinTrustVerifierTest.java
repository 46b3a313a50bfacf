package dev.peerid.windows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
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
import java.io.InputStream;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * WinVerifyTrust mocked at the JNA boundary. The provider data it leaves behind is laid out in real
 * native memory with our structure mappings, so the pointer walk to the signer certificate runs for real.
 */
class WinTrustVerifierTest {
  private static final WinNT.HANDLE STATE = new WinNT.HANDLE(Pointer.createConstant(0x5151));
  private static final ExecutableFile FILE = new ExecutableFile(Path.of("C:\\Program Files\\Vendor\\client.exe"),
      "C:\\Program Files\\Vendor\\client.exe");

  WinTrustLibrary wintrust;
  X509Certificate cert;
  /** dwStateAction, revocation flags and file path seen at each WinVerifyTrust call. */
  List<int[]> calls = new ArrayList<>();
  List<String> paths = new ArrayList<>();
  final List<Memory> keepAlive = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    try (InputStream in = getClass().getResourceAsStream(
        "/dev/peerid/windows/authenticode/debian/debian-secure-boot-signer-2022-shim.pem")) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    wintrust = mock(WinTrustLibrary.class);
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

  private void winVerifyTrustReturns(int hresult) {
    doAnswer(inv -> {
      WinTrustData data = inv.getArgument(2);
      Guid.GUID action = inv.getArgument(1);
      assertEquals("{00AAC56B-CD44-11D0-8CC2-00C04FC295EE}", action.toGuidString().toUpperCase());
      calls.add(new int[] {data.dwStateAction, data.fdwRevocationChecks, data.dwProvFlags, data.dwUIChoice,
          data.dwUnionChoice});
      paths.add(data.pFile.pcwszFilePath.toString());
      if (data.dwStateAction == WinTrustData.WTD_STATEACTION_VERIFY) {
        data.hWVTStateData = STATE;
        return hresult;
      }
      return 0;
    }).when(wintrust).WinVerifyTrust(any(), any(), any());
  }

  private CodeSignature verify(WinTrustVerifier.Revocation revocation, TrustStore trust) {
    return new WinTrustVerifier(wintrust, revocation).verify(FILE, VerificationContext.of(trust)).signature();
  }

  @Test
  void validFileReportsTheSignerAndClosesTheState() {
    winVerifyTrustReturns(0);
    CodeSignature sig = verify(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
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
  }

  @Test
  void pinnedSignerGetsItsTrustStoreNameAndARevokedOneIsRevoked() throws Exception {
    winVerifyTrustReturns(0);
    CodeSignature pinned = verify(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert).build());
    assertEquals("debian", pinned.signer().orElseThrow().trustName().orElseThrow());
    CodeSignature revoked = verify(WinTrustVerifier.Revocation.NONE, TrustStore.builder().trust("debian", cert)
        .revoke("sha256:" + Signer.fingerprint(cert)).build());
    assertEquals(SignatureStatus.REVOKED, revoked.status());
  }

  @Test
  void revocationFlags() {
    winVerifyTrustReturns(0);
    verify(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    verify(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    verify(WinTrustVerifier.Revocation.WHOLE_CHAIN_CACHE_ONLY, TrustStore.empty());
    assertEquals(WinTrustData.WTD_REVOKE_NONE, calls.get(0)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_NONE, calls.get(0)[2]);
    assertEquals(WinTrustData.WTD_REVOKE_WHOLECHAIN, calls.get(2)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_CHAIN, calls.get(2)[2]);
    assertEquals(WinTrustData.WTD_REVOKE_WHOLECHAIN, calls.get(4)[1]);
    assertEquals(WinTrustData.WTD_REVOCATION_CHECK_CHAIN | WinTrustData.WTD_CACHE_ONLY_URL_RETRIEVAL, calls.get(4)[2]);
  }

  @ParameterizedTest
  @CsvSource({
      "0x800B0100, UNSIGNED, TRUST_E_NOSIGNATURE",
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
    CodeSignature sig = verify(WinTrustVerifier.Revocation.WHOLE_CHAIN, TrustStore.empty());
    assertEquals(status, sig.status());
    assertTrue(sig.reasons().get(0).contains(reason), sig.reasons()::toString);
    assertEquals(hex.toUpperCase().replace("0X", "0x"), sig.attribute("hresult").orElseThrow());
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(calls.size() - 1)[0], "state closed");
    assertTrue(sig.signer().orElseThrow().trustName().isEmpty(), "nobody vouches for a refused file");
  }

  @Test
  void validWithoutProviderSignerIsNotValid() {
    winVerifyTrustReturns(0);
    when(wintrust.WTHelperGetProvSignerFromChain(any(), anyInt(), anyBoolean(), anyInt())).thenReturn(null);
    CodeSignature sig = verify(WinTrustVerifier.Revocation.NONE, TrustStore.empty());
    assertEquals(SignatureStatus.INVALID, sig.status());
  }

  @Test
  void stateIsClosedEvenWhenReadingTheSignerThrows() {
    winVerifyTrustReturns(0);
    when(wintrust.WTHelperProvDataFromStateData(STATE)).thenThrow(new IllegalStateException("native crash"));
    assertThrows(IllegalStateException.class, () -> verify(WinTrustVerifier.Revocation.NONE, TrustStore.empty()));
    assertEquals(2, calls.size());
    assertEquals(WinTrustData.WTD_STATEACTION_CLOSE, calls.get(1)[0]);
  }
}
