package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.VerificationContext;
import dev.peerid.testing.RealFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real signed files with one byte flipped at a time, in the headers, the sections and the
 * certificate table, verified with the anchors the genuine file carries: every reason is in words
 * (no exception class, no parser position, no library internals), and a mutated file is valid only
 * when the flipped byte is one the signature does not cover: the CheckSum field, or an unsigned part
 * of the certificate table.
 */
class ReadableReasonsTest {
  /** What a reason must never contain: exception class names, parser positions, library internals. */
  static final Pattern UNREADABLE = Pattern.compile(
      "[A-Za-z]+(Exception|Error)\\b|\\[row,col\\]|getInstance|org\\.bouncycastle|java\\.|Tagged[A-Z]|DL[A-Z]|DER[A-Z]");
  static final int FLIPS = 160;

  @TempDir Path tmp;

  static Stream<Arguments> files() {
    return Stream.of(
        Arguments.of("fbx64.efi (Debian shim-helpers, SHA-256, no timestamp)", (Source) () -> RealFiles.deb(
            CorpusFiles.SHIM_HELPERS_AMD64, "./usr/lib/shim/fbx64.efi.signed")),
        Arguments.of("conpty.dll (Microsoft, RFC 3161)", (Source) () -> RealFiles.npm(CorpusFiles.NODE_PTY,
            "package/prebuilds/win32-x64/conpty/conpty.dll")),
        Arguments.of("signtool.exe (Microsoft, SHA-1, PKCS#9)", (Source) () -> RealFiles.npm(
            CorpusFiles.ELECTRON_WINSTALLER, "package/vendor/signtool.exe")));
  }

  interface Source {
    Path fetch() throws Exception;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void flippedBytesGiveReadableReasonsAndNeverAValidSignatureOverCoveredBytes(String name, Source source)
      throws Exception {
    Path genuine = source.fetch();
    byte[] original = Files.readAllBytes(genuine);
    AnchorsFromFile anchors = AnchorsFromFile.of(genuine);
    TrustStore.Builder b = TrustStore.builder();
    anchors.publishers().forEach(c -> b.trust("publisher", c));
    anchors.authorities().forEach(c -> b.trustTimestampAuthority("tsa", c));
    TrustStore trust = b.build();
    assertTrue(verify(genuine, trust).isValid(), "the genuine file is valid");

    PeImage image = PeImage.parse(original);
    long table = image.certificateTableOffset();
    long checksum = image.checksumOffset();
    Random random = new Random(17);
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < FLIPS / 4; i++) {
      offsets.add((long) random.nextInt((int) image.sizeOfHeaders()));
      offsets.add(image.sizeOfHeaders() + (long) random.nextInt((int) (table - image.sizeOfHeaders())));
      offsets.add(table + random.nextInt((int) image.certificateTableSize()));
      offsets.add(table + random.nextInt(Math.min(512, (int) image.certificateTableSize())));
    }
    offsets.add(checksum);
    List<long[]> signedParts = signedParts(genuine, original, table);
    List<String> stayedValid = new ArrayList<>();
    for (long offset : offsets) {
      byte[] mutated = original.clone();
      mutated[(int) offset] ^= (byte) (1 << random.nextInt(8));
      CodeSignature sig = verify(Files.write(tmp.resolve("mutated"), mutated), trust);
      for (String reason : sig.reasons()) {
        assertFalse(UNREADABLE.matcher(reason).find(), "offset " + offset + ": unreadable reason: " + reason);
      }
      if (sig.status() == SignatureStatus.VALID) {
        boolean inChecksum = offset >= checksum && offset < checksum + 4;
        boolean inTable = offset >= table;
        assertTrue(inChecksum || inTable, "offset " + offset + " is covered by the image hash, yet " + sig);
        for (long[] part : signedParts) {
          assertFalse(offset >= part[0] && offset < part[1], "offset " + offset + " is in the signed content, signed"
              + " attributes or signature value, yet " + sig);
        }
        stayedValid.add(offset + (inChecksum ? " (CheckSum)" : " (certificate table)"));
      }
    }
    assertTrue(stayedValid.contains(checksum + " (CheckSum)"), "the CheckSum is not signed: " + stayedValid);
    System.out.println(name + ": " + offsets.size() + " flips, valid after " + stayedValid.size() + ": "
        + stayedValid);
  }

  /**
   * Where, in the file, each signature's signed bytes lie: the SpcIndirectDataContent, the signed
   * attributes and the signature value (found by their encodings in the certificate table).
   */
  static List<long[]> signedParts(Path file, byte[] bytes, long table) throws Exception {
    List<long[]> parts = new ArrayList<>();
    for (ParsedSignature sig : AnchorsFromFile.signatures(file)) {
      org.bouncycastle.asn1.cms.SignerInfo info = sig.signer.toASN1Structure();
      byte[] attributes = info.getAuthenticatedAttributes().getEncoded("DER");
      List<byte[]> needles = List.of(info.getEncryptedDigest().getOctets(),
          java.util.Arrays.copyOfRange(attributes, 1, attributes.length),
          ((org.bouncycastle.asn1.ASN1Encodable) sig.cms.getSignedContent().getContent()).toASN1Primitive()
              .getEncoded("DER"));
      for (byte[] needle : needles) {
        int at = indexOf(bytes, needle, (int) table);
        assertTrue(at >= 0, "a signed part of " + sig.label + " was not found in the file");
        parts.add(new long[] {at, at + needle.length});
      }
    }
    return parts;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static CodeSignature verify(Path file, TrustStore trust) throws Exception {
    return new AuthenticodeVerifier(Clock.fixed(RealPeCorpusTest.NOW, ZoneOffset.UTC))
        .verify(ExecutableFile.of(file), VerificationContext.of(trust)).signature();
  }
}
