package dev.peerid.macos;

import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Verifies one slice's embedded signature: the SuperBlob, every CodeDirectory, the special slots,
 * the code pages, the CMS signature and who vouches for its signer.
 */
final class SliceVerifier {
  private static final String[] SLOT_NAMES = {
    "", "Info.plist", "requirements", "resource directory", "application-specific", "entitlements",
    "rep-specific", "DER entitlements"
  };

  private SliceVerifier() {}

  static SliceResult verify(ByteSource source, MachOSlice slice, TrustStore trust) throws IOException {
    if (!slice.isSigned()) {
      return SliceResult.of(slice, SignatureStatus.UNSIGNED, "slice " + slice.architecture() + " has no code signature");
    }
    List<CodeDirectory> directories = new ArrayList<>();
    CodeDirectory primary;
    SuperBlob blobs;
    try {
      blobs = SuperBlob.parse(source.read(slice.offset() + slice.signatureOffset(), slice.signatureSize()));
      byte[] cd0 = blobs.blob(SuperBlob.SLOT_CODE_DIRECTORY)
          .orElseThrow(() -> new MachOFormatException("the signature has no CodeDirectory"));
      directories.add(CodeDirectory.parse(cd0, SuperBlob.SLOT_CODE_DIRECTORY));
      for (int i = 0; i < SuperBlob.MAX_ALTERNATE_CODE_DIRECTORIES; i++) {
        int slot = SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES + i;
        Optional<byte[]> alt = blobs.blob(slot);
        if (alt.isPresent()) {
          directories.add(CodeDirectory.parse(alt.get(), slot));
        }
      }
      primary = directories.stream().max(Comparator.comparingInt(cd -> cd.hashType.rank())).orElseThrow();
    } catch (MachOFormatException e) {
      return SliceResult.of(slice, SignatureStatus.INVALID, "malformed code signature in slice "
          + slice.architecture() + ": " + e.getMessage());
    }
    try {
      checkConsistent(directories, slice);
      List<String> unverified = new ArrayList<>();
      List<String> entitlements = checkSpecialSlots(blobs, directories, unverified);
      Optional<String> pageMismatch = CodePageHasher.check(source, slice, directories);
      if (pageMismatch.isPresent()) {
        throw new SignatureMismatchException(pageMismatch.get());
      }
      CodeDirectory cd0 = directories.get(0);
      Optional<byte[]> cms = blobs.blob(SuperBlob.SLOT_SIGNATURE).filter(b -> b.length > 8);
      if (cms.isEmpty()) {
        if (!cd0.isAdhoc()) {
          throw new SignatureMismatchException("no CMS signature and the CodeDirectory is not marked ad-hoc");
        }
        return new SliceResult(slice, SignatureStatus.UNTRUSTED, List.of("ad-hoc signature: no signer"),
            Optional.of(primary), directories, entitlements, unverified, Optional.empty());
      }
      if (cd0.isAdhoc()) {
        throw new SignatureMismatchException("the CodeDirectory is marked ad-hoc but a CMS signature is attached");
      }
      byte[] cmsBlob = cms.get();
      if (SuperBlob.magicOf(cmsBlob) != SuperBlob.CMS_WRAPPER_MAGIC) {
        throw new SignatureMismatchException("the signature slot does not hold a CMS blob");
      }
      CmsSignature signature = CmsSignature.verify(Arrays.copyOfRange(cmsBlob, 8, cmsBlob.length), cd0, directories);
      SignerTrust signer = SignerTrust.evaluate(signature, trust);
      if (primary.teamId != null && signer.teamId.isPresent() && !primary.teamId.equals(signer.teamId.get())) {
        throw new SignatureMismatchException("the CodeDirectory names team " + primary.teamId
            + " but the signing certificate belongs to team " + signer.teamId.get());
      }
      return new SliceResult(slice, signer.status, signer.reasons, Optional.of(primary), directories, entitlements,
          unverified, Optional.of(signer));
    } catch (SignatureMismatchException | MachOFormatException e) {
      return new SliceResult(slice, SignatureStatus.INVALID, List.of(e.getMessage()), Optional.of(primary),
          directories, List.of(), List.of(), Optional.empty());
    }
  }

  private static void checkConsistent(List<CodeDirectory> directories, MachOSlice slice)
      throws SignatureMismatchException {
    CodeDirectory first = directories.get(0);
    for (CodeDirectory cd : directories) {
      if (cd.codeLimit != slice.signatureOffset()) {
        throw new SignatureMismatchException("the " + cd.hashType.label + " CodeDirectory covers " + cd.codeLimit
            + " bytes, but the signature starts at " + slice.signatureOffset() + ": "
            + (cd.codeLimit < slice.signatureOffset() ? "part of the code is not signed" : "it covers its own signature"));
      }
      if (!cd.identifier.equals(first.identifier) || !java.util.Objects.equals(cd.teamId, first.teamId)
          || cd.flags != first.flags) {
        throw new SignatureMismatchException("the CodeDirectories disagree on identifier, team or flags");
      }
    }
    for (int i = 0; i < directories.size(); i++) {
      for (int j = i + 1; j < directories.size(); j++) {
        if (directories.get(i).hashType == directories.get(j).hashType) {
          throw new SignatureMismatchException("two CodeDirectories use " + directories.get(i).hashType.label);
        }
      }
    }
  }

  /**
   * Checks every special slot of every CodeDirectory; returns the entitlements set to true and adds
   * to {@code unverified} the bound slots whose data lives outside the binary (in an app bundle).
   */
  private static List<String> checkSpecialSlots(SuperBlob blobs, List<CodeDirectory> directories,
      List<String> unverified) throws SignatureMismatchException, MachOFormatException {
    for (int slot = 1; slot < SLOT_NAMES.length; slot++) {
      Optional<byte[]> blob = blobs.blob(slot);
      if (blob.isPresent()) {
        int expectedMagic = switch (slot) {
          case SuperBlob.SLOT_REQUIREMENTS -> SuperBlob.REQUIREMENTS_MAGIC;
          case SuperBlob.SLOT_ENTITLEMENTS -> SuperBlob.ENTITLEMENTS_MAGIC;
          case SuperBlob.SLOT_DER_ENTITLEMENTS -> SuperBlob.DER_ENTITLEMENTS_MAGIC;
          default -> 0;
        };
        if (expectedMagic != 0 && SuperBlob.magicOf(blob.get()) != expectedMagic) {
          throw new SignatureMismatchException("the " + SLOT_NAMES[slot] + " slot holds a blob of the wrong kind");
        }
      }
      for (CodeDirectory cd : directories) {
        Optional<byte[]> expected = cd.specialHash(slot);
        if (blob.isPresent() && expected.isEmpty()) {
          throw new SignatureMismatchException("the " + SLOT_NAMES[slot] + " blob is not bound by the "
              + cd.hashType.label + " CodeDirectory");
        }
        if (blob.isPresent() && !MessageDigest.isEqual(cd.hashType.hash(blob.get()), expected.get())) {
          throw new SignatureMismatchException("the " + SLOT_NAMES[slot] + " blob does not match its hash in the "
              + cd.hashType.label + " CodeDirectory: it was modified after signing");
        }
        boolean embedded = slot == SuperBlob.SLOT_REQUIREMENTS || slot == SuperBlob.SLOT_ENTITLEMENTS
            || slot == SuperBlob.SLOT_DER_ENTITLEMENTS;
        if (blob.isEmpty() && expected.isPresent() && embedded) {
          throw new SignatureMismatchException("the " + cd.hashType.label + " CodeDirectory binds "
              + SLOT_NAMES[slot] + " but the signature does not carry them");
        }
        if (blob.isEmpty() && expected.isPresent() && !embedded && !unverified.contains(SLOT_NAMES[slot])) {
          unverified.add(SLOT_NAMES[slot]);
        }
      }
    }
    Optional<byte[]> entitlements = blobs.blob(SuperBlob.SLOT_ENTITLEMENTS);
    if (entitlements.isEmpty()) {
      return List.of();
    }
    byte[] e = entitlements.get();
    return Plists.topLevelTrueKeys(Arrays.copyOfRange(e, 8, e.length));
  }
}
