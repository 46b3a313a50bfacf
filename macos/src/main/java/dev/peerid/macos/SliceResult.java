package dev.peerid.macos;

import dev.peerid.SignatureStatus;
import java.util.List;
import java.util.Optional;

/**
 * What one slice's signature check found. The code-directory facts are present whenever the
 * signature parsed; trust facts only when the CMS signature verified.
 *
 * @param unverifiedSlots bound special slots whose data is not in the file (Info.plist and resource
 *                        directory of an app bundle): their hashes were not compared
 */
record SliceResult(
    MachOSlice slice,
    SignatureStatus status,
    List<String> reasons,
    Optional<CodeDirectory> primary,
    List<CodeDirectory> codeDirectories,
    List<String> entitlements,
    List<String> unverifiedSlots,
    Optional<SignerTrust> signer) {

  SliceResult {
    reasons = List.copyOf(reasons);
    codeDirectories = List.copyOf(codeDirectories);
    entitlements = List.copyOf(entitlements);
    unverifiedSlots = List.copyOf(unverifiedSlots);
  }

  static SliceResult of(MachOSlice slice, SignatureStatus status, String reason) {
    return new SliceResult(slice, status, List.of(reason), Optional.empty(), List.of(), List.of(), List.of(),
        Optional.empty());
  }

  boolean verified() {
    return status == SignatureStatus.VALID || status == SignatureStatus.UNTRUSTED || status == SignatureStatus.REVOKED;
  }
}
