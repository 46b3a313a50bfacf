package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.platform.win32.Guid;
import com.sun.jna.platform.win32.WinDef;
import dev.peerid.CodeSignature;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustEntry;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import dev.peerid.windows.authenticode.AuthenticodeVerifier;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Authenticode through Windows itself ({@code WinVerifyTrust} with
 * WINTRUST_ACTION_GENERIC_VERIFY_V2): Windows' trust store, catalog-signed system files, and the
 * revocation checking the caller chooses. The state is always closed, also when verification
 * throws. Attribute {@code verifiedBy} is {@code wintrust}.
 */
public final class WinTrustVerifier implements ExecutableVerifier {

  /** How WinVerifyTrust checks revocation. */
  public enum Revocation {
    /** No revocation check (offline machines; the trust store's own revocations still apply). */
    NONE,
    /** Every certificate of the chain, fetching CRLs/OCSP as needed. */
    WHOLE_CHAIN,
    /** Every certificate of the chain, but only from the local URL cache (no network). */
    WHOLE_CHAIN_CACHE_ONLY
  }

  /** Trust name reported when Windows' own trust store vouches and no peerid entry matches. */
  public static final String WINDOWS_TRUST = "windows";

  private static final int MAX_CERTIFICATE_BYTES = 1 << 20;

  /** Each HRESULT WinVerifyTrust is known to return, with the status and reason it becomes. */
  private static final Map<Integer, Mapping> RESULTS = Map.ofEntries(
      Map.entry(0x800B0100, new Mapping(SignatureStatus.UNSIGNED, "TRUST_E_NOSIGNATURE: the file is not signed")),
      Map.entry(0x80096010, new Mapping(SignatureStatus.INVALID,
          "TRUST_E_BAD_DIGEST: the file was modified after it was signed")),
      Map.entry(0x800B0109, new Mapping(SignatureStatus.UNTRUSTED,
          "CERT_E_UNTRUSTEDROOT: the chain ends in a root Windows does not trust")),
      Map.entry(0x800B010C, new Mapping(SignatureStatus.REVOKED, "CERT_E_REVOKED: a certificate was revoked")),
      Map.entry(0x800B0111, new Mapping(SignatureStatus.REVOKED,
          "TRUST_E_EXPLICIT_DISTRUST: the signer is explicitly distrusted on this machine")),
      Map.entry(0x800B0101, new Mapping(SignatureStatus.UNTRUSTED,
          "CERT_E_EXPIRED: a certificate expired and there is no valid timestamp")),
      Map.entry(0x800B010A, new Mapping(SignatureStatus.UNTRUSTED,
          "CERT_E_CHAINING: no chain to a trusted root could be built")),
      Map.entry(0x800B0004, new Mapping(SignatureStatus.UNTRUSTED,
          "TRUST_E_SUBJECT_NOT_TRUSTED: the subject is not trusted for this action")),
      Map.entry(0x800B010E, new Mapping(SignatureStatus.UNTRUSTED,
          "CERT_E_REVOCATION_FAILURE: revocation could not be checked")),
      Map.entry(0x80092026, new Mapping(SignatureStatus.UNTRUSTED,
          "CRYPT_E_SECURITY_SETTINGS: refused by this machine's security settings")),
      Map.entry(0x80096019, new Mapping(SignatureStatus.INVALID,
          "TRUST_E_BAD_BASIC_CONSTRAINTS: a certificate's basic constraints are violated")),
      Map.entry(0x80096001, new Mapping(SignatureStatus.INVALID,
          "TRUST_E_SYSTEM_ERROR: the signature could not be decoded")),
      Map.entry(0x800B0003, new Mapping(SignatureStatus.INVALID,
          "TRUST_E_SUBJECT_FORM_UNKNOWN: the file is not a format WinVerifyTrust can check")),
      Map.entry(0x800B0001, new Mapping(SignatureStatus.INVALID,
          "TRUST_E_PROVIDER_UNKNOWN: no trust provider for this file")));

  private record Mapping(SignatureStatus status, String reason) {}

  private final WinTrustLibrary wintrust;
  private final Revocation revocation;

  WinTrustVerifier(WinTrustLibrary wintrust, Revocation revocation) {
    this.wintrust = Objects.requireNonNull(wintrust, "wintrust");
    this.revocation = Objects.requireNonNull(revocation, "revocation");
  }

  /** Loads wintrust.dll; throws {@link UnsupportedOperationException} (with the cause) off Windows. */
  public static WinTrustVerifier create(Revocation revocation) {
    return new WinTrustVerifier(NativeLibraries.load().wintrust(), revocation);
  }

  @Override
  public SignatureFormat format() {
    return SignatureFormat.AUTHENTICODE;
  }

  @Override
  public boolean recognizes(byte[] head) {
    return new AuthenticodeVerifier().recognizes(head);
  }

  @Override
  public VerifiedExecutable verify(ExecutableFile file, VerificationContext context) {
    WinTrustData data = new WinTrustData();
    data.dwUIChoice = WinTrustData.WTD_UI_NONE;
    data.fdwRevocationChecks = revocation == Revocation.NONE ? WinTrustData.WTD_REVOKE_NONE
        : WinTrustData.WTD_REVOKE_WHOLECHAIN;
    data.dwProvFlags = switch (revocation) {
      case NONE -> WinTrustData.WTD_REVOCATION_CHECK_NONE;
      case WHOLE_CHAIN -> WinTrustData.WTD_REVOCATION_CHECK_CHAIN;
      case WHOLE_CHAIN_CACHE_ONLY -> WinTrustData.WTD_REVOCATION_CHECK_CHAIN | WinTrustData.WTD_CACHE_ONLY_URL_RETRIEVAL;
    };
    data.dwUnionChoice = WinTrustData.WTD_CHOICE_FILE;
    data.pFile = new WinTrustFileInfo.ByReference(file.content().toString());
    data.dwStateAction = WinTrustData.WTD_STATEACTION_VERIFY;
    int hresult;
    Optional<X509Certificate> signer;
    try {
      hresult = wintrust.WinVerifyTrust(noWindow(), action(), data);
      signer = signerCertificate(data);
    } finally {
      data.dwStateAction = WinTrustData.WTD_STATEACTION_CLOSE;
      wintrust.WinVerifyTrust(noWindow(), action(), data);
    }
    return VerifiedExecutable.of(decide(hresult, signer, context));
  }

  private CodeSignature decide(int hresult, Optional<X509Certificate> signer, VerificationContext context) {
    SignatureStatus status;
    String reason = null;
    if (hresult == 0) {
      status = SignatureStatus.VALID;
    } else {
      Mapping m = RESULTS.get(hresult);
      status = m != null ? m.status() : SignatureStatus.INVALID;
      reason = m != null ? m.reason() : String.format("WinVerifyTrust failed with HRESULT 0x%08X", hresult);
    }
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.AUTHENTICODE, status)
        .attribute("verifiedBy", "wintrust")
        .attribute("hresult", String.format("0x%08X", hresult))
        .attribute("revocation", revocation.name().toLowerCase(java.util.Locale.ROOT));
    if (reason != null) {
      b.reason(reason);
    }
    if (signer.isPresent()) {
      X509Certificate cert = signer.get();
      Signer.Builder s = Signer.builder().chain(List.of(cert));
      if (status == SignatureStatus.VALID) {
        if (context.trust().isRevoked(cert)) {
          b.status(SignatureStatus.REVOKED).reason("the signer certificate is revoked by the trust store");
        } else {
          s.trustName(context.trust().entryFor(cert).map(TrustEntry::name).orElse(WINDOWS_TRUST));
        }
      }
      b.signer(s.build());
    } else if (status == SignatureStatus.VALID) {
      b.status(SignatureStatus.INVALID).reason("WinVerifyTrust succeeded but reported no signer certificate");
    }
    return b.build();
  }

  /** The primary signer's certificate from the provider data of an open verification state. */
  Optional<X509Certificate> signerCertificate(WinTrustData data) {
    if (data.hWVTStateData == null) {
      return Optional.empty();
    }
    Pointer provider = wintrust.WTHelperProvDataFromStateData(data.hWVTStateData);
    if (provider == null) {
      return Optional.empty();
    }
    Pointer sgnr = wintrust.WTHelperGetProvSignerFromChain(provider, 0, false, 0);
    if (sgnr == null) {
      return Optional.empty();
    }
    CryptProviderStructures.Signer signer = new CryptProviderStructures.Signer(sgnr);
    if (signer.csCertChain < 1 || signer.pasCertChain == null) {
      return Optional.empty();
    }
    CryptProviderStructures.Cert first = new CryptProviderStructures.Cert(signer.pasCertChain);
    if (first.pCert == null) {
      return Optional.empty();
    }
    CryptProviderStructures.CertContext context = new CryptProviderStructures.CertContext(first.pCert);
    if (context.pbCertEncoded == null || context.cbCertEncoded <= 0 || context.cbCertEncoded > MAX_CERTIFICATE_BYTES) {
      return Optional.empty();
    }
    try {
      byte[] der = context.pbCertEncoded.getByteArray(0, context.cbCertEncoded);
      return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der)));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static Guid.GUID action() {
    return new Guid.GUID(WinTrustLibrary.WINTRUST_ACTION_GENERIC_VERIFY_V2.toGuidString());
  }

  /** INVALID_HANDLE_VALUE: there is no interactive user to show UI to. */
  private static WinDef.HWND noWindow() {
    return new WinDef.HWND(Pointer.createConstant(-1));
  }
}
