package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerid.CodeSignature;
import dev.peerid.SignatureStatus;
import dev.peerid.TrustStore;
import dev.peerid.spi.VerificationContext;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Real Developer ID libraries with one byte flipped at a time, in the header, the code and the
 * signature: every reason is in words (no exception class, no parser position, no library
 * internals), and a mutated file is valid only when the flipped byte lies in the signature area
 * outside every CodeDirectory (the CMS certificate bag, or the padding after the SuperBlob).
 */
class ReadableReasonsTest {
  static final Pattern UNREADABLE = Pattern.compile(
      "[A-Za-z]+(Exception|Error)\\b|\\[row,col\\]|getInstance|org\\.bouncycastle|java\\.|Tagged[A-Z]|DL[A-Z]|DER[A-Z]");

  @Test
  void flippedBytesGiveReadableReasonsAndNeverAValidSignatureOverCoveredBytes() throws Exception {
    for (String resource : List.of(MachOSamples.JAVAFX_GLASS, MachOSamples.SWT_PI)) {
      byte[] original = MachOSamples.bytes(resource);
      CodeSignature genuine = verify(original, TrustStore.empty());
      List<X509Certificate> chain = genuine.signer().orElseThrow().chain();
      TrustStore trust = TrustStore.builder().trust("carried-root", chain.get(chain.size() - 1)).build();
      assertTrue(verify(original, trust).isValid(), resource);

      MachOSlice slice = Tamper.thin(original);
      long sigStart = slice.signatureStart().orElseThrow();
      List<long[]> directories = new ArrayList<>();
      for (int slot : new int[] {SuperBlob.SLOT_CODE_DIRECTORY, SuperBlob.SLOT_ALTERNATE_CODE_DIRECTORIES}) {
        int at = Tamper.blobOffset(original, slice, slot);
        if (at >= 0) {
          directories.add(new long[] {at, at + ByteBuffer.wrap(original).getInt(at + 4)});
        }
      }
      Random random = new Random(17);
      List<Long> offsets = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        offsets.add((long) random.nextInt(4096));
        offsets.add((long) random.nextInt((int) sigStart));
        offsets.add(sigStart + random.nextInt(slice.signatureSize()));
        offsets.add(sigStart + random.nextInt(Math.min(2048, slice.signatureSize())));
      }
      int stayedValid = 0;
      for (long offset : offsets) {
        byte[] mutated = original.clone();
        mutated[(int) offset] ^= (byte) (1 << random.nextInt(8));
        CodeSignature sig = verify(mutated, trust);
        for (String reason : sig.reasons()) {
          assertFalse(UNREADABLE.matcher(reason).find(), resource + " offset " + offset + ": unreadable: " + reason);
        }
        if (sig.status() == SignatureStatus.VALID) {
          assertTrue(offset >= sigStart, resource + " offset " + offset + " is code or header, yet " + sig);
          for (long[] cd : directories) {
            assertFalse(offset >= cd[0] && offset < cd[1], resource + " offset " + offset + " is in a CodeDirectory");
          }
          stayedValid++;
        }
      }
      System.out.println(resource + ": " + offsets.size() + " flips, valid after " + stayedValid
          + " (all in the signature area outside the CodeDirectories)");
    }
  }

  private static CodeSignature verify(byte[] bytes, TrustStore trust) throws Exception {
    return MachOVerifier.verify(ByteSource.of(bytes), VerificationContext.of(trust));
  }
}
