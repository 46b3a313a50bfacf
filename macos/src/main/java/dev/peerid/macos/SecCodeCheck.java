package dev.peerid.macos;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.peerid.CodeSignature;
import dev.peerid.PeerIdentificationException;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustStore;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Checks a running process's code through Security.framework, named by its audit token (or, for
 * inspection only, by pid): the guest SecCode, {@code SecCodeCheckValidity} (with a requirement when one is given), the
 * kernel's own CS_VALID / CS_DEBUGGED flags through {@code csops_audittoken} (SecCodeCheckValidity
 * passes a process that is being debugged), then the signing information, whose entitlements are
 * joined with the kernel's own copy ({@link KernelEntitlements}). Every CoreFoundation
 * object it creates or is handed is released before it returns.
 */
final class SecCodeCheck {
  /** xnu {@code osfmk/kern/cs_blobs.h}. */
  static final int CS_VALID = 0x1;
  static final int CS_DEBUGGED = 0x10000000;
  /** kSecCodeInfo* keys of the signing information (Security {@code SecCode.cpp}). */
  static final String INFO_IDENTIFIER = "identifier";
  static final String INFO_FLAGS = "flags";
  static final String INFO_ENTITLEMENTS_DICT = "entitlements-dict";
  static final String INFO_UNIQUE = "unique";
  static final String INFO_CERTIFICATES = "certificates";

  private final LibC libc;
  private final Security security;
  private final CoreFoundationApi cf;

  SecCodeCheck(LibC libc, Security security, CoreFoundationApi cf) {
    this.libc = libc;
    this.security = security;
    this.cf = cf;
  }

  CodeSignature check(CodeGuest guest, String requirement, TrustStore trust) {
    Deque<Pointer> owned = new ArrayDeque<>();
    try {
      return check(guest, requirement, trust, owned);
    } finally {
      while (!owned.isEmpty()) {
        cf.release(owned.pop());
      }
    }
  }

  private CodeSignature check(CodeGuest guest, String requirement, TrustStore trust, Deque<Pointer> owned) {
    Pointer attributes = guest.attributes(cf, owned);
    if (attributes == null) {
      // never call with NULL: Security's SecCode::autoLocateGuest (Code.cpp) reads the count of the
      // dictionary (a crash on NULL), and an empty one names the kernel itself, not the peer
      return CodeSignature.invalid(SignatureFormat.MACHO,
          "cannot build the guest attributes that name the peer to Security.framework");
    }
    PointerByReference codeRef = new PointerByReference();
    int status = security.SecCodeCopyGuestWithAttributes(null, attributes, 0, codeRef);
    Pointer code = own(owned, codeRef.getValue());
    if (status != 0 || code == null) {
      return CodeSignature.invalid(SignatureFormat.MACHO,
          "cannot obtain the peer's code object from Security.framework (OSStatus " + status + ")");
    }
    Pointer compiled = null;
    if (requirement != null) {
      Pointer text = own(owned, cf.createString(requirement));
      PointerByReference requirementRef = new PointerByReference();
      status = security.SecRequirementCreateWithString(text, 0, requirementRef);
      compiled = own(owned, requirementRef.getValue());
      if (status != 0 || compiled == null) {
        return CodeSignature.invalid(SignatureFormat.MACHO,
            "the code requirement '" + requirement + "' does not compile (OSStatus " + status + ")");
      }
    }
    CodeCheckStatus validity = CodeCheckStatus.of(security.SecCodeCheckValidity(code, 0, compiled), requirement);
    if (validity.status() != SignatureStatus.VALID) {
      return CodeSignature.builder(SignatureFormat.MACHO, validity.status()).reason(validity.reason())
          .attribute("verifiedBy", "Security.framework").build();
    }
    Optional<String> kernelRefusal = kernelStatus(guest);
    if (kernelRefusal.isPresent()) {
      return CodeSignature.invalid(SignatureFormat.MACHO, kernelRefusal.get());
    }
    PointerByReference infoRef = new PointerByReference();
    status = security.SecCodeCopySigningInformation(code,
        Security.kSecCSSigningInformation | Security.kSecCSDynamicInformation, infoRef);
    Pointer info = own(owned, infoRef.getValue());
    if (status != 0 || info == null) {
      return CodeSignature.invalid(SignatureFormat.MACHO, "cannot read the peer's signing information (OSStatus "
          + status + ")");
    }
    // the kernel's own copy, so that entitlements Security.framework leaves out are still seen
    KernelEntitlements kernel = KernelEntitlements.read(guest, libc);
    return describe(info, kernel, trust, owned);
  }

  /** The kernel's view of this exact process: CS_VALID must be set and CS_DEBUGGED clear. */
  private Optional<String> kernelStatus(CodeGuest guest) {
    int cs;
    try {
      cs = guest.csStatus(libc);
    } catch (PeerIdentificationException e) {
      return Optional.of(e.getMessage());
    }
    if ((cs & CS_VALID) == 0) {
      return Optional.of(String.format(Locale.ROOT,
          "the kernel no longer considers the peer's code valid (CS_VALID clear, status 0x%x)", cs));
    }
    if ((cs & CS_DEBUGGED) != 0) {
      return Optional.of(String.format(Locale.ROOT,
          "the peer is being debugged (CS_DEBUGGED, status 0x%x): its memory may no longer match its signature", cs));
    }
    return Optional.empty();
  }

  private CodeSignature describe(Pointer info, KernelEntitlements kernel, TrustStore trust, Deque<Pointer> owned) {
    Optional<String> identifier = cf.stringValue(cf.dictionaryValue(info, INFO_IDENTIFIER));
    long flags = cf.numberValue(cf.dictionaryValue(info, INFO_FLAGS)).orElse(0);
    Pointer entitlementsDict = cf.dictionaryValue(info, INFO_ENTITLEMENTS_DICT);
    boolean readable = cf.isDictionary(entitlementsDict);
    KernelEntitlements.Reconciled reconciled = kernel.reconcile(
        readable ? Optional.of(cf.trueKeys(entitlementsDict)) : Optional.empty(),
        entitlementsDict != null && !readable);
    if (reconciled.refusal().isPresent()) {
      return CodeSignature.invalid(SignatureFormat.MACHO, reconciled.refusal().get());
    }
    List<String> entitlements = reconciled.keys();
    Optional<byte[]> cdhash = cf.dataValue(cf.dictionaryValue(info, INFO_UNIQUE));
    List<X509Certificate> certificates = new ArrayList<>();
    for (Pointer certificate : cf.arrayValues(cf.dictionaryValue(info, INFO_CERTIFICATES))) {
      Pointer der = own(owned, security.SecCertificateCopyData(certificate));
      Optional<byte[]> bytes = cf.dataValue(der);
      if (bytes.isEmpty()) {
        return CodeSignature.invalid(SignatureFormat.MACHO, "the peer's signing certificate cannot be read");
      }
      try {
        certificates.add((X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(bytes.get())));
      } catch (CertificateException | RuntimeException e) {
        return CodeSignature.invalid(SignatureFormat.MACHO, "the peer's signing certificate cannot be parsed: "
            + e.getMessage());
      }
    }

    SignatureStatus status;
    List<String> reasons = new ArrayList<>();
    Signer.Builder signer = null;
    Optional<String> appleAnchor = Optional.empty();
    Optional<String> teamId = Optional.empty();
    if (certificates.isEmpty()) {
      status = SignatureStatus.UNTRUSTED;
      reasons.add("ad-hoc signature: no signer");
    } else {
      SignerTrust trusted;
      try {
        trusted = SignerTrust.evaluate(certificates.get(0), certificates, trust);
      } catch (SignatureMismatchException e) {
        return CodeSignature.invalid(SignatureFormat.MACHO, e.getMessage());
      }
      status = trusted.status;
      reasons.addAll(trusted.reasons);
      appleAnchor = trusted.appleAnchor;
      teamId = trusted.teamId;
      signer = Signer.builder().chain(trusted.chain);
      identifier.ifPresent(signer::identifier);
      trusted.teamId.ifPresent(signer::teamId);
      trusted.trustName.ifPresent(signer::trustName);
    }
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.MACHO, status);
    reasons.forEach(b::reason);
    if (signer != null) {
      b.signer(signer.build());
    }
    cdhash.ifPresent(h -> b.attribute("cdhash", HexFormat.of().formatHex(h)));
    b.attribute("flags", String.format(Locale.ROOT, "0x%x", flags));
    b.attribute("hardenedRuntime", Boolean.toString((flags & CodeDirectory.FLAG_RUNTIME) != 0));
    b.attribute("adhoc", Boolean.toString((flags & CodeDirectory.FLAG_ADHOC) != 0));
    b.attribute("linkerSigned", Boolean.toString((flags & CodeDirectory.FLAG_LINKER_SIGNED) != 0));
    b.attribute("entitlements", String.join("\n", entitlements));
    identifier.ifPresent(i -> b.attribute("identifier", i));
    teamId.ifPresent(t -> b.attribute("teamId", t));
    appleAnchor.filter(a -> status == SignatureStatus.VALID || status == SignatureStatus.UNTRUSTED)
        .ifPresent(a -> b.attribute("appleAnchor", a));
    b.attribute("verifiedBy", "Security.framework");
    return b.build();
  }

  private static Pointer own(Deque<Pointer> owned, Pointer p) {
    if (p != null) {
      owned.push(p);
    }
    return p;
  }
}
