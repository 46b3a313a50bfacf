package dev.peerid.macos;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * Security.framework's code-signing API (not mapped by jna-platform); the one native boundary for
 * it, mocked in tests. Every function returns an OSStatus; objects returned through a reference
 * are owned by the caller and must be released.
 */
interface Security extends Library {
  int kSecCSSigningInformation = 1 << 1;
  int kSecCSDynamicInformation = 1 << 3;

  int SecCodeCopyGuestWithAttributes(Pointer host, Pointer attributes, int flags, PointerByReference guest);

  int SecRequirementCreateWithString(Pointer text, int flags, PointerByReference requirement);

  int SecCodeCheckValidity(Pointer code, int flags, Pointer requirement);

  int SecCodeCopySigningInformation(Pointer code, int flags, PointerByReference information);

  /** The certificate's DER bytes as a new CFData (owned). */
  Pointer SecCertificateCopyData(Pointer certificate);
}
