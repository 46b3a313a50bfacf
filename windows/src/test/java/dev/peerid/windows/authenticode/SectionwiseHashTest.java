package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.testing.RealFiles;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's fwupdaa64.efi (fwupd-arm64-signed 1.4+1): its signed digest is the PE/COFF
 * section-wise hash, which leaves out 4096 zero bytes between .text (ends at 36864) and .data
 * (starts at 40960); a linear hash of the file (osslsigncode's) does not match it.
 */
class SectionwiseHashTest {
  static final String SIGNED = "aa48243411bc90307c4d80e7bc1a64e9f55163c65e2e967cec862c6c5fd6e114";
  @TempDir Path tmp;

  private static Path fwupd() throws Exception {
    return RealFiles.deb(CorpusFiles.FWUPD_ARM64, "./usr/libexec/fwupd/efi/fwupdaa64.efi.signed");
  }

  /** Verified with the signer certificate the genuine file carries pinned (Debian's CA is not in it). */
  private static CodeSignature verify(Path file) throws Exception {
    TrustStore pinned = TrustStore.builder().trust("debian-fwupd", AnchorsFromFile.of(fwupd()).publishers().get(0))
        .build();
    return new AuthenticodeVerifier().verify(ExecutableFile.of(file), VerificationContext.of(pinned)).signature();
  }

  @Test
  void theSectionwiseHashIsTheSignedOneAndLeavesOutOneZeroGap() throws Exception {
    Path file = fwupd();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      PeImage image = PeImage.parse(channel);
      SectionwiseHash.Result h = SectionwiseHash.compute(channel, image, "SHA-256").orElseThrow();
      assertEquals(SIGNED, HexFormat.of().formatHex(h.digest()));
      assertEquals("4096 bytes at 36864..40960", h.describeGaps());
      assertTrue(h.gapsAreZero());
      byte[] linear = ImageHasher.hash(channel, image, java.util.Set.of("SHA-256"), false).imageDigests().get("SHA-256");
      assertTrue(!SIGNED.equals(HexFormat.of().formatHex(linear)), "the whole-file hash differs");
    }
    CodeSignature sig = verify(file);
    assertEquals(SignatureStatus.VALID, sig.status(), sig::toString);
    assertEquals("section-wise", sig.attribute("imageHash").orElseThrow());
    assertEquals(SIGNED, sig.digest().orElseThrow().hex());
  }

  @Test
  void aByteWrittenIntoTheGapIsRefusedAlthoughTheSignedHashStillMatches() throws Exception {
    byte[] bytes = Files.readAllBytes(fwupd());
    bytes[38000] = (byte) 0x90;
    CodeSignature sig = verify(Files.write(tmp.resolve("gap.efi"), bytes));
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertEquals("signature 1: the signed digest matches only the section-wise PE/COFF hash, which leaves out 4096"
        + " bytes at 36864..40960 that are not all zero: refused, since the signature does not cover them",
        sig.reasons().get(0));
  }

  @Test
  void aByteChangedInASectionMatchesNeitherHash() throws Exception {
    byte[] bytes = Files.readAllBytes(fwupd());
    bytes[5000] ^= 0x01;
    CodeSignature sig = verify(Files.write(tmp.resolve("text.efi"), bytes));
    assertEquals(SignatureStatus.INVALID, sig.status(), sig::toString);
    assertTrue(sig.reasons().get(0).endsWith("neither the whole-file nor the section-wise PE/COFF hash matches)"),
        sig.reasons()::toString);
  }
}
