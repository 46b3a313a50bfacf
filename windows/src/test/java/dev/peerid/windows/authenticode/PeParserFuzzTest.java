package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Hostile PE headers and certificate tables: the parsers may only return a result or throw
 * {@link PeFormatException}; any other exception, a hang or a huge allocation fails the test.
 * Runs the committed seed corpus in regression mode (JAZZER_FUZZ=1 to fuzz for real).
 */
class PeParserFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void peHeader(byte[] data) {
    try {
      PeImage image = PeImage.parse(data);
      assertTrue(image.checksumOffset() + 4 <= image.certificateDirectoryOffset() || !image.hasCertificateDirectory());
      assertTrue(image.certificateDirectoryOffset() + 8 <= data.length || !image.hasCertificateDirectory());
      long[][] ranges = ImageHasher.ranges(image);
      for (long[] r : ranges) {
        assertTrue(r[0] >= 0 && r[1] <= data.length, "hash ranges stay inside the file");
      }
      try {
        image.checkCertificateTablePlacement();
        assertTrue(image.certificateTableOffset() + image.certificateTableSize() == data.length);
      } catch (PeFormatException expected) {
        // a refused placement is a valid outcome
      }
    } catch (PeFormatException expected) {
      // the only failure allowed
    }
  }

  @FuzzTest(maxDuration = "20s")
  void certificateTable(byte[] data) {
    try {
      int total = 0;
      for (WinCertificate entry : CertificateTable.parse(data)) {
        assertTrue(entry.signedData().length > 0);
        total += entry.signedData().length;
      }
      assertTrue(total <= data.length);
    } catch (PeFormatException expected) {
      // the only failure allowed
    }
  }

  @FuzzTest(maxDuration = "20s")
  void signedData(byte[] data) {
    java.util.List<ParsedSignature> out = new java.util.ArrayList<>();
    try {
      ParsedSignature.parseWithNested(data, "fuzz", out);
      assertTrue(!out.isEmpty() && out.size() <= ParsedSignature.MAX_SIGNATURES);
    } catch (ParsedSignature.MalformedSignatureException expected) {
      // the only failure allowed
    }
  }

  /** The whole verifier on a hostile file: a result with a reason, or IOException; never VALID with no trust. */
  @FuzzTest(maxDuration = "30s")
  void wholeFile(byte[] data) throws java.io.IOException {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("peerid-fuzz", ".exe");
    try {
      java.nio.file.Files.write(file, data);
      dev.peerid.CodeSignature sig = new AuthenticodeVerifier().verify(dev.peerid.spi.ExecutableFile.of(file),
          dev.peerid.spi.VerificationContext.of(dev.peerid.TrustStore.empty())).signature();
      assertTrue(sig.status() != dev.peerid.SignatureStatus.VALID, "an empty trust store trusts nobody");
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }
}
