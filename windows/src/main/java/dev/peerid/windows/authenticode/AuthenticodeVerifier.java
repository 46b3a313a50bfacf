package dev.peerid.windows.authenticode;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Pure-Java Authenticode verification of PE32 / PE32+ files, on every OS.
 *
 * <p>Every signature in the file counts: each WIN_CERTIFICATE entry and each nested signature must
 * verify (one broken signature makes the file {@code INVALID}); the file is {@code VALID} when at
 * least one signer chains to the trust store and none is revoked. The table layout is checked more
 * strictly than Windows does (CVE-2013-3900). Attribute {@code verifiedBy} is {@code pure-java}.
 */
public final class AuthenticodeVerifier implements ExecutableVerifier {
  /** A certificate table larger than this is refused rather than read into memory. */
  static final long MAX_CERTIFICATE_TABLE = 16L << 20;

  private final Clock clock;

  public AuthenticodeVerifier() {
    this(Clock.systemUTC());
  }

  /** With a clock, so tests can check time-dependent chains deterministically. */
  public AuthenticodeVerifier(Clock clock) {
    this.clock = clock;
  }

  @Override
  public SignatureFormat format() {
    return SignatureFormat.AUTHENTICODE;
  }

  @Override
  public boolean recognizes(byte[] head) {
    if (head == null || head.length < 0x40 || head[0] != 'M' || head[1] != 'Z') {
      return false;
    }
    long peOffset = PeImage.u32(head, 0x3C);
    if (peOffset < PeImage.MIN_HEADER_OFFSET || peOffset > (1L << 24)) {
      return false;
    }
    if (peOffset + 4 <= head.length) {
      int p = (int) peOffset;
      return head[p] == 'P' && head[p + 1] == 'E' && head[p + 2] == 0 && head[p + 3] == 0;
    }
    return true;
  }

  @Override
  public VerifiedExecutable verify(ExecutableFile file, VerificationContext context) throws IOException {
    try (FileChannel channel = FileChannel.open(file.content(), StandardOpenOption.READ)) {
      return verify(channel, context);
    }
  }

  VerifiedExecutable verify(FileChannel channel, VerificationContext context) throws IOException {
    long size = channel.size();
    if (size > context.maxFileSize()) {
      return result(invalid("file is " + size + " bytes, over the limit of " + context.maxFileSize()), null);
    }
    PeImage image;
    try {
      image = PeImage.parse(ByteSource.of(channel));
    } catch (PeFormatException e) {
      return result(invalid("not a valid PE image: " + e.getMessage()), null);
    }
    if (!image.hasCertificateTable()) {
      ImageHasher.Result hashed = context.needSha256()
          ? ImageHasher.hash(channel, image, Set.of(), true) : null;
      return result(CodeSignature.builder(SignatureFormat.AUTHENTICODE, SignatureStatus.UNSIGNED)
          .reason("the PE image has no certificate table (not Authenticode-signed)")
          .attribute("verifiedBy", "pure-java").build(), hashed);
    }
    List<WinCertificate> entries;
    try {
      image.checkCertificateTablePlacement();
      if (image.certificateTableSize() > MAX_CERTIFICATE_TABLE) {
        throw new PeFormatException("certificate table of " + image.certificateTableSize() + " bytes is over the "
            + MAX_CERTIFICATE_TABLE + "-byte limit");
      }
      byte[] table = new byte[(int) image.certificateTableSize()];
      ByteSource.of(channel).readFully(image.certificateTableOffset(), table);
      entries = CertificateTable.parse(table);
    } catch (PeFormatException e) {
      return result(invalid(e.getMessage()), null);
    }
    List<ParsedSignature> signatures = new ArrayList<>();
    try {
      for (int i = 0; i < entries.size(); i++) {
        ParsedSignature.parseWithNested(entries.get(i).signedDataUnsafe(), "signature " + (i + 1), signatures);
      }
    } catch (ParsedSignature.MalformedSignatureException e) {
      return result(invalid(e.getMessage()), null);
    }
    Set<String> algorithms = new LinkedHashSet<>();
    signatures.forEach(s -> algorithms.add(s.digestAlgorithm));
    ImageHasher.Result hashed = ImageHasher.hash(channel, image, algorithms, context.needSha256());
    // the section-wise hash only where the whole-file one does not match (files with gaps between sections)
    java.util.Map<String, Optional<SectionwiseHash.Result>> sectionwise = new java.util.HashMap<>();
    for (ParsedSignature s : signatures) {
      if (!java.security.MessageDigest.isEqual(hashed.imageDigests().get(s.digestAlgorithm), s.signedImageDigest)
          && !sectionwise.containsKey(s.digestAlgorithm)) {
        sectionwise.put(s.digestAlgorithm, SectionwiseHash.compute(channel, image, s.digestAlgorithm));
      }
    }
    return result(decide(signatures, hashed, sectionwise, new SignerCheck(context.trust())), hashed);
  }

  private CodeSignature decide(List<ParsedSignature> signatures, ImageHasher.Result hashed,
      java.util.Map<String, Optional<SectionwiseHash.Result>> sectionwise, SignerCheck check) {
    List<SignerCheck.Result> results = new ArrayList<>();
    for (ParsedSignature s : signatures) {
      try {
        results.add(check.check(s, hashed.imageDigests().get(s.digestAlgorithm),
            sectionwise.getOrDefault(s.digestAlgorithm, Optional.empty()), clock.instant()));
      } catch (RuntimeException e) {
        // Hostile CMS can trip parsers deep inside the crypto libraries: refuse, never crash or allow;
        // the exception's own text is for a debug log, not for the reason.
        Diagnostics.debug(s.label + " could not be checked", e);
        results.add(new SignerCheck.Result(s.label, SignatureStatus.INVALID, Optional.empty(),
            List.of(s.label + ": could not be checked: an element of its SignedData is malformed"),
            Optional.empty(), null, List.of(), false));
      }
    }
    SignatureStatus status;
    if (results.stream().anyMatch(r -> r.status() == SignatureStatus.INVALID)) {
      status = SignatureStatus.INVALID;
    } else if (results.stream().anyMatch(r -> r.status() == SignatureStatus.REVOKED)) {
      status = SignatureStatus.REVOKED;
    } else if (results.stream().anyMatch(r -> r.status() == SignatureStatus.VALID)) {
      status = SignatureStatus.VALID;
    } else {
      status = SignatureStatus.UNTRUSTED;
    }
    // The signer that vouches comes first: it is the one a policy should see as "the" signer.
    List<SignerCheck.Result> ordered = new ArrayList<>();
    results.stream().filter(r -> r.status() == SignatureStatus.VALID).forEach(ordered::add);
    results.stream().filter(r -> r.status() != SignatureStatus.VALID).forEach(ordered::add);
    SignerCheck.Result primary = ordered.get(0);
    ParsedSignature primarySig = signatures.get(results.indexOf(primary));
    byte[] primaryDigest = primary.sectionwise() ? primarySig.signedImageDigest
        : hashed.imageDigests().get(primarySig.digestAlgorithm);
    CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.AUTHENTICODE, status)
        .digest(Digest.of(primarySig.digestAlgorithm, primaryDigest));
    int reasons = 0;
    for (SignerCheck.Result r : ordered) {
      r.signer().ifPresent(b::signer);
      if (status != SignatureStatus.VALID || r.status() == SignatureStatus.VALID) {
        r.reasons().forEach(b::reason);
        reasons += r.reasons().size();
      }
    }
    if (status != SignatureStatus.VALID && reasons == 0) {
      b.reason("no signer chains to the trust store");
    }
    results.forEach(r -> r.timestamps().forEach(b::timestamp));
    b.attribute("verifiedBy", "pure-java");
    b.attribute("signatures", Integer.toString(results.size()));
    b.attribute("digestAlgorithm", primarySig.digestAlgorithm);
    b.attribute("imageHash", primary.sectionwise() ? "section-wise" : "whole-file");
    primary.timestamp().ifPresent(t -> b.attribute("timestamp", t.toString()));
    if (primary.timestampKind() != null) {
      b.attribute("timestampKind", primary.timestampKind());
    }
    return b.build();
  }

  private static CodeSignature invalid(String reason) {
    return CodeSignature.builder(SignatureFormat.AUTHENTICODE, SignatureStatus.INVALID).reason(reason)
        .attribute("verifiedBy", "pure-java").build();
  }

  private static VerifiedExecutable result(CodeSignature signature, ImageHasher.Result hashed) {
    Optional<Digest> sha = hashed == null || hashed.fileSha256() == null ? Optional.empty()
        : Optional.of(Digest.of("SHA-256", hashed.fileSha256()));
    return new VerifiedExecutable(signature, Optional.empty(), sha);
  }
}
