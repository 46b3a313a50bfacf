package dev.peerid.macos;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peerid.CodeSignature;
import dev.peerid.TrustStore;
import dev.peerid.spi.VerificationContext;
import java.io.IOException;
import java.util.List;

/**
 * Hostile bytes into the parsers: they must end in a result or a {@link MachOFormatException},
 * never another exception, a hang or a huge allocation. Runs the committed seeds in the normal
 * test run (regression mode); {@code JAZZER_FUZZ=1} fuzzes.
 */
class MachOFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void parseMachO(byte[] data) throws IOException {
    try {
      List<MachOSlice> slices = MachOParser.parse(ByteSource.of(data));
      for (MachOSlice s : slices) {
        assertFalse(s.offset() + s.size() > data.length, "slice outside the file");
      }
    } catch (MachOFormatException expected) {
      assertNotNull(expected.getMessage());
    }
  }

  @FuzzTest(maxDuration = "30s")
  void parseSuperBlob(byte[] data) {
    try {
      SuperBlob blobs = SuperBlob.parse(data);
      for (int slot : blobs.slots()) {
        byte[] blob = blobs.blob(slot).orElseThrow();
        if (slot == 0 || (slot >= 0x1000 && slot < 0x1005)) {
          CodeDirectory cd = CodeDirectory.parse(blob, slot);
          cd.cdhash();
          for (int i = 1; i <= 7; i++) {
            cd.specialHash(i);
          }
        } else if (slot == SuperBlob.SLOT_ENTITLEMENTS) {
          Plists.topLevelTrueKeys(java.util.Arrays.copyOfRange(blob, 8, blob.length));
        }
      }
    } catch (MachOFormatException expected) {
      assertNotNull(expected.getMessage());
    }
  }

  /** The whole verifier on arbitrary bytes: always a result, never its internal-error safety net. */
  @FuzzTest(maxDuration = "30s")
  void verify(byte[] data) throws IOException {
    CodeSignature sig = MachOVerifier.verify(ByteSource.of(data), VerificationContext.of(TrustStore.empty()));
    assertFalse(sig.reasons().stream().anyMatch(r -> r.startsWith("code signature could not be checked")),
        sig.reasons().toString());
  }
}
