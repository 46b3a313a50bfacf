package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Any byte string either parses (and re-encodes to itself) or gives ImaFormatException. */
class ImaXattrFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void parse(byte[] data) {
    ImaXattr x;
    try {
      x = ImaXattr.parse(data);
    } catch (ImaFormatException expected) {
      return;
    }
    assertArrayEquals(data, x.encoded());
    if (x.kind() == ImaXattr.Kind.SIGNATURE_V2) {
      byte[] again = ImaXattr.encodeSignatureV2(x.algorithm().orElseThrow(), x.keyId(), x.signature().orElseThrow());
      assertArrayEquals(data, again);
    }
    if (x.kind().isDigest()) {
      assertEquals(x.algorithm().orElseThrow().digestLength(), x.digest().orElseThrow().length);
    }
  }
}
