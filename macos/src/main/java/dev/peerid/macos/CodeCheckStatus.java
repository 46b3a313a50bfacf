package dev.peerid.macos;

import dev.peerid.SignatureStatus;

/** What an OSStatus from {@code SecCodeCheckValidity} means for the peer, in words. */
record CodeCheckStatus(SignatureStatus status, String reason) {
  static final int ERR_SEC_CS_UNSIGNED = -67062;
  static final int ERR_SEC_CS_SIGNATURE_FAILED = -67061;
  static final int ERR_SEC_CS_REQ_FAILED = -67050;
  static final int ERR_SEC_CS_GUEST_INVALID = -67063;
  static final int ERR_SEC_CS_STATIC_CODE_CHANGED = -67034;
  static final int ERR_SEC_CS_SIGNATURE_UNTRUSTED = -66996;

  static CodeCheckStatus of(int osStatus, String requirement) {
    return switch (osStatus) {
      case 0 -> new CodeCheckStatus(SignatureStatus.VALID, "");
      case ERR_SEC_CS_UNSIGNED -> new CodeCheckStatus(SignatureStatus.UNSIGNED,
          "the peer's code is not signed (errSecCSUnsigned)");
      case ERR_SEC_CS_SIGNATURE_FAILED -> new CodeCheckStatus(SignatureStatus.INVALID,
          "the peer's code signature does not verify: its code or resources were modified (errSecCSSignatureFailed)");
      case ERR_SEC_CS_REQ_FAILED -> new CodeCheckStatus(SignatureStatus.UNTRUSTED,
          "the peer's signature is valid but does not satisfy the requirement '" + requirement + "' (errSecCSReqFailed)");
      case ERR_SEC_CS_GUEST_INVALID -> new CodeCheckStatus(SignatureStatus.INVALID,
          "the running process has lost its code validity, e.g. a page failed to verify (errSecCSGuestInvalid)");
      case ERR_SEC_CS_STATIC_CODE_CHANGED -> new CodeCheckStatus(SignatureStatus.INVALID,
          "the executable on disk changed since the process started (errSecCSStaticCodeChanged)");
      case ERR_SEC_CS_SIGNATURE_UNTRUSTED -> new CodeCheckStatus(SignatureStatus.UNTRUSTED,
          "the system does not trust the peer's signing certificate (errSecCSSignatureUntrusted)");
      default -> new CodeCheckStatus(SignatureStatus.INVALID,
          "Security.framework could not validate the peer's code (OSStatus " + osStatus + ")");
    };
  }
}
