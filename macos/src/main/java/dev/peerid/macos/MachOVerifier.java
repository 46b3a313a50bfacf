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
 * on every OS. Every slice is checked on its own (the slices of a universal file may be signed
 * separately, with different identifiers); the file's status is that of its least trustworthy slice,
 * each slice's own result is in {@link CodeSignature#slices()}, and the file states a signer fact
 * (identifier, Team ID, Apple anchor) only when every signed slice agrees on it.
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
      System.getLogger(MachOVerifier.class.getName()).log(System.Logger.Level.DEBUG, "code signature check failed", e);
      return CodeSignature.invalid(SignatureFormat.MACHO, "code signature could not be checked: an element of it is"
          + " malformed");
    }
  }

  private static CodeSignature combine(List<SliceResult> results) {
    SignatureStatus status = worst(results);
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.MACHO, status);
    boolean fat = results.size() > 1;
    for (SliceResult r : results) {
      if (severity(r.status()) == severity(status) && status != SignatureStatus.VALID) {
        for (String reason : r.reasons()) {
          b.reason(fat ? r.slice().architecture() + ": " + reason : reason);
        }
      }
    }
    if (status != SignatureStatus.INVALID) {
      describe(b, results, status);
    }
    for (SliceResult r : results) {
      b.slice(r.slice().architecture(), sliceSignature(r));
    }
    b.attribute("slices", results.stream().map(MachOVerifier::sliceSummary).collect(Collectors.joining(",")));
    return b.build();
  }

  /** One slice's signature on its own, as {@code --arch} and per-slice policy clauses see it. */
  private static CodeSignature sliceSignature(SliceResult r) {
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.MACHO, r.status());
    r.reasons().forEach(b::reason);
    if (r.status() != SignatureStatus.INVALID) {
      describe(b, List.of(r), r.status());
    }
    return b.build();
  }

  private static SignatureStatus worst(List<SliceResult> results) {
    return results.stream().map(SliceResult::status)
        .max((a, b) -> Integer.compare(severity(a), severity(b))).orElseThrow();
  }

  /**
   * The signer facts of {@code results} (one slice, or every slice of a file). Each slice is signed
   * on its own: a fact is stated for the file only when every signed slice agrees on it (identifier,
   * Team ID, Apple anchor), so that a file never claims what one of its slices does not.
   */
  private static void describe(CodeSignature.Builder b, List<SliceResult> results, SignatureStatus status) {
    List<SliceResult> signed = results.stream().filter(SliceResult::verified).toList();
    if (signed.isEmpty()) {
      return;
    }
    SliceResult primarySlice = signed.get(0);
    CodeDirectory cd = primarySlice.primary().get();
    boolean hardened = signed.stream().allMatch(r -> flag(r, CodeDirectory.FLAG_RUNTIME));
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
    Optional<String> identifier = common(signed, r -> Optional.of(r.primary().get().identifier));
    identifier.ifPresent(i -> b.attribute("identifier", i));
    Set<String> unverified = new LinkedHashSet<>();
    signed.forEach(r -> unverified.addAll(r.unverifiedSlots()));
    if (!unverified.isEmpty()) {
      b.attribute("unverifiedSlots", String.join(",", unverified));
    }
    b.attribute("codeDirectories", primarySlice.codeDirectories().stream().map(d -> d.hashType.label)
        .collect(Collectors.joining(",")));
    primarySlice.signer().ifPresent(trust -> {
      Signer.Builder signer = Signer.builder().chain(trust.chain);
      identifier.ifPresent(signer::identifier);
      Optional<String> team = common(signed, r -> r.signer().flatMap(t -> t.teamId));
      team.ifPresent(signer::teamId);
      team.ifPresent(t -> b.attribute("teamId", t));
      common(signed, r -> r.signer().flatMap(t -> t.trustName)).ifPresent(signer::trustName);
      b.signer(signer.build());
      Optional<String> anchor = common(signed, r -> r.signer().flatMap(t -> t.appleAnchor));
      if (status == SignatureStatus.VALID || status == SignatureStatus.UNTRUSTED) {
        anchor.ifPresent(a -> b.attribute("appleAnchor", a));
      }
    });
  }

  /** The value every slice has, or empty when one has none or two differ. */
  private static Optional<String> common(List<SliceResult> slices,
      java.util.function.Function<SliceResult, Optional<String>> field) {
    Set<Optional<String>> values = slices.stream().map(field).collect(Collectors.toSet());
    return values.size() == 1 ? values.iterator().next() : Optional.empty();
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
