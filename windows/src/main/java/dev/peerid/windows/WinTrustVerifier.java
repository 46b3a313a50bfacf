package dev.peerid.windows;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
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
import java.lang.ref.Reference;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Authenticode through Windows itself ({@code WinVerifyTrust} with
 * WINTRUST_ACTION_GENERIC_VERIFY_V2): Windows' trust store and the revocation checking the caller
 * chooses. The embedded signature is checked first (WTD_CHOICE_FILE); a file without one
 * (TRUST_E_NOSIGNATURE), as most of Windows' own binaries are, is looked up in the system catalogs
 * by its SHA-256 and then SHA-1 Authenticode hash, and the first catalog that lists it is verified
 * with WTD_CHOICE_CATALOG (see {@link CatalogMembership}). Every state is always closed, also when
 * verification throws. Attributes: {@code verifiedBy=wintrust}, {@code source} ({@code embedded} or
 * {@code catalog}), and for catalogs {@code catalog} (its path), {@code catalogHashAlgorithm} and
 * {@code memberTag}.
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

  private static final int TRUST_E_NOSIGNATURE = 0x800B0100;

  private record Mapping(SignatureStatus status, String reason) {}

  /** What one WinVerifyTrust verification returned, and the primary signer it left in its state. */
  record Verdict(int hresult, Optional<X509Certificate> signer) {}

  private final WinTrustLibrary wintrust;
  private final CatalogMembership catalogs;
  private final Revocation revocation;

  WinTrustVerifier(WinTrustLibrary wintrust, Kernel32Library kernel32, Revocation revocation) {
    this.wintrust = Objects.requireNonNull(wintrust, "wintrust");
    this.catalogs = new CatalogMembership(wintrust, kernel32);
    this.revocation = Objects.requireNonNull(revocation, "revocation");
  }

  /** Loads wintrust.dll and kernel32.dll; throws {@link UnsupportedOperationException} (with the cause) off Windows. */
  public static WinTrustVerifier create(Revocation revocation) {
    NativeLibraries natives = NativeLibraries.load();
    return new WinTrustVerifier(natives.wintrust(), natives.kernel32(), revocation);
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
    String path = file.content().toString();
    Verdict embedded = run(WinTrustData.WTD_CHOICE_FILE, new WinTrustFileInfo(path));
    if (embedded.hresult() != TRUST_E_NOSIGNATURE) {
      return VerifiedExecutable.of(decide(embedded, context).attribute("source", "embedded").build());
    }
    CatalogMembership.Result found = catalogs.check(path, member -> run(WinTrustData.WTD_CHOICE_CATALOG, member));
    return VerifiedExecutable.of(decideCatalog(found, context));
  }

  private CodeSignature decideCatalog(CatalogMembership.Result found, VerificationContext context) {
    if (found instanceof CatalogMembership.Listed listed) {
      CodeSignature.Builder b = decide(listed.verdict(), context)
          .attribute("source", "catalog")
          .attribute("catalog", listed.catalogFile())
          .attribute("catalogHashAlgorithm", listed.algorithm())
          .attribute("memberTag", listed.memberTag());
      if (listed.verdict().hresult() != 0) {
        b.reason("the file has no embedded signature; it is listed in catalog " + listed.catalogFile()
            + ", which WinVerifyTrust refused");
      }
      return b.build();
    }
    CodeSignature.Builder b = base(TRUST_E_NOSIGNATURE);
    if (found instanceof CatalogMembership.NotListed notListed) {
      return b.status(SignatureStatus.UNSIGNED)
          .reason("TRUST_E_NOSIGNATURE: no embedded signature, and no catalog on this machine lists this file's hash ("
              + String.join(", ", notListed.hashes()) + ")")
          .build();
    }
    String reason = ((CatalogMembership.Failed) found).reason();
    return b.status(SignatureStatus.INVALID)
        .reason("the file has no embedded signature and its catalog signature could not be checked: " + reason)
        .build();
  }

  /** One WinVerifyTrust verification of {@code subject}; the state is closed even when reading the signer throws. */
  private Verdict run(int unionChoice, Structure subject) {
    WinTrustData data = new WinTrustData();
    data.dwUIChoice = WinTrustData.WTD_UI_NONE;
    data.fdwRevocationChecks = revocation == Revocation.NONE ? WinTrustData.WTD_REVOKE_NONE
        : WinTrustData.WTD_REVOKE_WHOLECHAIN;
    data.dwProvFlags = switch (revocation) {
      case NONE -> WinTrustData.WTD_REVOCATION_CHECK_NONE;
      case WHOLE_CHAIN -> WinTrustData.WTD_REVOCATION_CHECK_CHAIN;
      case WHOLE_CHAIN_CACHE_ONLY -> WinTrustData.WTD_REVOCATION_CHECK_CHAIN | WinTrustData.WTD_CACHE_ONLY_URL_RETRIEVAL;
    };
    subject.write();
    data.dwUnionChoice = unionChoice;
    data.pSubject = subject.getPointer();
    data.dwStateAction = WinTrustData.WTD_STATEACTION_VERIFY;
    try {
      int hresult = wintrust.WinVerifyTrust(noWindow(), action(), data);
      return new Verdict(hresult, signerCertificate(data));
    } finally {
      data.dwStateAction = WinTrustData.WTD_STATEACTION_CLOSE;
      wintrust.WinVerifyTrust(noWindow(), action(), data);
      // The subject's native memory must outlive both calls that point into it.
      Reference.reachabilityFence(subject);
    }
  }

  private CodeSignature.Builder base(int hresult) {
    return CodeSignature.builder(SignatureFormat.AUTHENTICODE, SignatureStatus.INVALID)
        .attribute("verifiedBy", "wintrust")
        .attribute("hresult", String.format("0x%08X", hresult))
        .attribute("revocation", revocation.name().toLowerCase(Locale.ROOT));
  }

  private CodeSignature.Builder decide(Verdict verdict, VerificationContext context) {
    int hresult = verdict.hresult();
    Optional<X509Certificate> signer = verdict.signer();
    SignatureStatus status;
    String reason = null;
    if (hresult == 0) {
      status = SignatureStatus.VALID;
    } else {
      Mapping m = RESULTS.get(hresult);
      status = m != null ? m.status() : SignatureStatus.INVALID;
      reason = m != null ? m.reason() : String.format("WinVerifyTrust failed with HRESULT 0x%08X", hresult);
    }
    CodeSignature.Builder b = base(hresult).status(status);
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
    return b;
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
