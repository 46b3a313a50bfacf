package dev.peerid.macos;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.Interpreters;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies Apple code signatures embedded in Mach-O files, thin or universal, in pure Java: it runs
 * on every OS. Every slice is checked; the file's status is that of its least trustworthy slice.
 *
 * <p>A signature that verifies and chains to one of Apple's roots is reported with the attribute
 * {@code appleAnchor} ({@code apple-generic}, or {@code apple} for Apple's own code) and status
 * {@link SignatureStatus#UNTRUSTED} unless the trust store vouches for it: Apple's roots vouch for
 * every Developer ID in the world, so only a policy naming a team or identifier should accept them.
 * Ad-hoc signatures have their hashes checked and are never more than UNTRUSTED.
 *
 * <p>Attributes: {@code cdhash}, {@code flags}, {@code hardenedRuntime}, {@code adhoc},
 * {@code linkerSigned}, {@code entitlements} (newline-separated keys whose value is true),
 * {@code identifier}, {@code teamId}, {@code codeDirectories}, {@code slices}, {@code appleAnchor},
 * {@code unverifiedSlots} (bound Info.plist / resource directory of an app bundle, not in the file).
 */
public final class MachOVerifier implements ExecutableVerifier {

  @Override
  public SignatureFormat format() {
    return SignatureFormat.MACHO;
  }

  @Override
  public boolean recognizes(byte[] head) {
    return MachOParser.looksLikeMachO(head);
  }

  @Override
  public VerifiedExecutable verify(ExecutableFile file, VerificationContext context) throws IOException {
    try (FileChannel channel = FileChannel.open(file.content(), StandardOpenOption.READ)) {
      long size = channel.size();
      Optional<String> interpreter = Interpreters.byPath(file.path());
      if (size > context.maxFileSize()) {
        return new VerifiedExecutable(CodeSignature.invalid(SignatureFormat.MACHO, "file is " + size
            + " bytes, larger than the limit of " + context.maxFileSize()), interpreter, Optional.empty());
      }
      ByteSource source = ByteSource.of(channel);
      CodeSignature signature = verify(source, context);
      Optional<Digest> sha256 = context.needSha256() ? Optional.of(sha256(source)) : Optional.empty();
      return new VerifiedExecutable(signature, interpreter, sha256);
    }
  }

  /** Verifies the Mach-O in {@code source}; malformed input gives an INVALID result, never an exception. */
  static CodeSignature verify(ByteSource source, VerificationContext context) throws IOException {
    List<MachOSlice> slices;
    try {
      slices = MachOParser.parse(source);
    } catch (MachOFormatException e) {
      return CodeSignature.invalid(SignatureFormat.MACHO, "malformed Mach-O: " + e.getMessage());
    }
    try {
      List<SliceResult> results = new ArrayList<>();
      for (MachOSlice slice : slices) {
        results.add(SliceVerifier.verify(source, slice, context.trust()));
      }
      return combine(results);
    } catch (RuntimeException e) {
      // a safety net: a parser bug must deny with a reason, not escape to the caller
      return CodeSignature.invalid(SignatureFormat.MACHO, "code signature could not be checked: " + e);
    }
  }

  private static CodeSignature combine(List<SliceResult> results) {
    SignatureStatus status = results.stream().map(SliceResult::status)
        .max((a, b) -> Integer.compare(severity(a), severity(b))).orElseThrow();
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.MACHO, status);
    boolean fat = results.size() > 1;
    for (SliceResult r : results) {
      if (severity(r.status()) == severity(status) && status != SignatureStatus.VALID) {
        for (String reason : r.reasons()) {
          b.reason(fat ? r.slice().architecture() + ": " + reason : reason);
        }
      }
    }
    Optional<SliceResult> first = results.stream().filter(r -> r.primary().isPresent()).findFirst();
    if (first.isPresent() && status != SignatureStatus.INVALID) {
      SliceResult verified = first.get();
      Set<String> teams = results.stream().filter(SliceResult::verified)
          .map(r -> r.primary().get().teamId == null ? "" : r.primary().get().teamId).collect(Collectors.toSet());
      Set<String> identifiers = results.stream().filter(SliceResult::verified)
          .map(r -> r.primary().get().identifier).collect(Collectors.toSet());
      if (teams.size() > 1 || identifiers.size() > 1) {
        return CodeSignature.invalid(SignatureFormat.MACHO, "the slices are signed with different identifiers or teams: "
            + identifiers + " " + teams);
      }
      describe(b, verified, results, status);
    }
    b.attribute("slices", results.stream().map(MachOVerifier::sliceSummary).collect(Collectors.joining(",")));
    return b.build();
  }

  private static void describe(CodeSignature.Builder b, SliceResult primarySlice, List<SliceResult> results,
      SignatureStatus status) {
    CodeDirectory cd = primarySlice.primary().get();
    List<SliceResult> signed = results.stream().filter(SliceResult::verified).toList();
    boolean hardened = !signed.isEmpty() && signed.stream().allMatch(r -> flag(r, CodeDirectory.FLAG_RUNTIME));
    boolean adhoc = signed.stream().anyMatch(r -> flag(r, CodeDirectory.FLAG_ADHOC));
    boolean linker = signed.stream().anyMatch(r -> flag(r, CodeDirectory.FLAG_LINKER_SIGNED));
    Set<String> entitlements = new LinkedHashSet<>();
    signed.forEach(r -> entitlements.addAll(r.entitlements()));
    b.digest(Digest.of(cd.hashType.jdkName, cd.fullHash()));
    b.attribute("cdhash", HexFormat.of().formatHex(cd.cdhash()));
    b.attribute("flags", String.format(Locale.ROOT, "0x%x", cd.flags));
    b.attribute("hardenedRuntime", Boolean.toString(hardened));
    b.attribute("adhoc", Boolean.toString(adhoc));
    b.attribute("linkerSigned", Boolean.toString(linker));
    b.attribute("entitlements", String.join("\n", entitlements));
    b.attribute("identifier", cd.identifier);
    Set<String> unverified = new LinkedHashSet<>();
    signed.forEach(r -> unverified.addAll(r.unverifiedSlots()));
    if (!unverified.isEmpty()) {
      b.attribute("unverifiedSlots", String.join(",", unverified));
    }
    b.attribute("codeDirectories", primarySlice.codeDirectories().stream().map(d -> d.hashType.label)
        .collect(Collectors.joining(",")));
    primarySlice.signer().ifPresent(trust -> {
      Signer.Builder signer = Signer.builder().chain(trust.chain).identifier(cd.identifier);
      trust.teamId.ifPresent(signer::teamId);
      trust.teamId.ifPresent(t -> b.attribute("teamId", t));
      trust.trustName.ifPresent(signer::trustName);
      b.signer(signer.build());
      boolean allApple = signed.stream().allMatch(r -> r.signer().flatMap(s -> s.appleAnchor).isPresent());
      if (allApple && (status == SignatureStatus.VALID || status == SignatureStatus.UNTRUSTED)) {
        trust.appleAnchor.ifPresent(a -> b.attribute("appleAnchor", a));
      }
    });
  }

  private static boolean flag(SliceResult r, int flag) {
    return (r.primary().get().flags & flag) != 0;
  }

  private static String sliceSummary(SliceResult r) {
    return r.slice().architecture() + ":" + r.status().id() + ":"
        + r.primary().map(cd -> HexFormat.of().formatHex(cd.cdhash())).orElse("-");
  }

  /** Worse outcomes rank higher; the file is as good as its worst slice. */
  private static int severity(SignatureStatus s) {
    return switch (s) {
      case VALID -> 0;
      case UNTRUSTED -> 1;
      case UNSIGNED -> 2;
      case REVOKED -> 3;
      case INVALID -> 4;
    };
  }

  private static Digest sha256(ByteSource source) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    long position = 0;
    while (true) {
      buffer.clear();
      int n = source.readInto(position, buffer);
      if (n < 0) {
        break;
      }
      md.update(buffer.array(), 0, buffer.position());
      position += n;
    }
    return Digest.of("SHA-256", md.digest());
  }
}
