package dev.peerid.linux.ima;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The parser on hand-made values of every type (DESIGN §4). */
class ImaXattrTest {
  static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  @Test
  void legacyDigestIsSha1Or17ByteMd5() throws Exception {
    ImaXattr sha1 = ImaXattr.parse(hex("01" + "ab".repeat(20)));
    assertEquals(ImaXattr.Kind.DIGEST, sha1.kind());
    assertEquals(ImaHashAlgorithm.SHA1, sha1.algorithm().orElseThrow());
    assertArrayEquals(hex("ab".repeat(20)), sha1.digest().orElseThrow());
    assertTrue(sha1.signature().isEmpty());

    ImaXattr md5 = ImaXattr.parse(hex("01" + "cd".repeat(16)));
    assertEquals(ImaHashAlgorithm.MD5, md5.algorithm().orElseThrow());
  }

  @Test
  void digestNgCarriesItsAlgorithm() throws Exception {
    ImaXattr x = ImaXattr.parse(hex("0414" + "01".repeat(32)));
    assertEquals(ImaXattr.Kind.DIGEST_NG, x.kind());
    assertEquals(ImaHashAlgorithm.SHA3_256, x.algorithm().orElseThrow());
    assertTrue(x.kind().isDigest());
    assertFalse(x.kind().isSignature());
  }

  @Test
  void signatureV2HeaderFields() throws Exception {
    ImaXattr x = ImaXattr.parse(hex("030205" + "0290a365" + "0003" + "aabbcc"));
    assertEquals(ImaXattr.Kind.SIGNATURE_V2, x.kind());
    assertEquals(ImaHashAlgorithm.SHA384, x.algorithm().orElseThrow());
    assertEquals(0x0290a365, x.keyId());
    assertEquals("0290a365", x.keyIdHex());
    assertArrayEquals(hex("aabbcc"), x.signature().orElseThrow());
  }

  @Test
  void highBitKeyIdAndLargeSizeFieldAreUnsigned() throws Exception {
    byte[] sig = new byte[0x1234];
    byte[] value = ImaXattr.encodeSignatureV2(ImaHashAlgorithm.SHA512, 0xfedcba98, sig);
    assertEquals("030206fedcba981234", HexFormat.of().formatHex(value, 0, 9));
    ImaXattr x = ImaXattr.parse(value);
    assertEquals("fedcba98", x.keyIdHex());
    assertEquals(0x1234, x.signature().orElseThrow().length);
    assertArrayEquals(value, x.encoded());
  }

  @Test
  void verityV3AndEvmTypesAreRecognised() throws Exception {
    ImaXattr v3 = ImaXattr.parse(hex("060304" + "01020304" + "0001" + "ff"));
    assertEquals(ImaXattr.Kind.VERITY_SIGNATURE_V3, v3.kind());
    assertTrue(v3.kind().isSignature());
    assertEquals(ImaXattr.Kind.EVM_HMAC, ImaXattr.parse(hex("02" + "00".repeat(20))).kind());
    assertEquals(ImaXattr.Kind.EVM_PORTABLE_SIGNATURE, ImaXattr.parse(hex("05020400000000000100")).kind());
    assertTrue(ImaXattr.parse(hex("02")).kind().isEvm());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'' | zero length",
      "00 | unknown type 0x00",
      "ff01 | unknown type 0xff",
      "01 | type 0x01 digest is 0 bytes",
      "04 | no hash algorithm byte",
      "0417 | unknown hash algorithm 23",
      "0404aa | sha256 digest is 1 bytes; expected 32",
      "03 | truncated: 1 bytes",
      "0302040102030400 | truncated: 8 bytes",
      "030204010203040000 | empty signature",
      "030204010203040002aa | says its signature is 2 bytes but 1 follow",
      "030204010203040001aabb | says its signature is 1 bytes but 2 follow",
      "030304010203040001aa | has version 3; expected 2",
      "060204010203040001aa | has version 2; expected 3",
      "0302ff010203040001aa | unknown hash algorithm 255"})
  void malformedValuesAreTypedErrors(String value, String message) {
    ImaFormatException e = assertThrows(ImaFormatException.class, () -> ImaXattr.parse(hex(value)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void overLongValueIsRefused() {
    byte[] big = new byte[ImaXattr.MAX_LENGTH + 1];
    big[0] = 0x03;
    assertThrows(ImaFormatException.class, () -> ImaXattr.parse(big));
  }

  @Test
  void parsedValueIsACopy() throws Exception {
    byte[] value = hex("030204010203040001aa");
    ImaXattr x = ImaXattr.parse(value);
    value[9] = 0;
    x.signature().orElseThrow()[0] = 0;
    assertArrayEquals(hex("aa"), x.signature().orElseThrow());
  }

  @Test
  void hashAlgorithmTableFollowsHashInfoH() {
    assertEquals(23, ImaHashAlgorithm.values().length);
    for (ImaHashAlgorithm a : ImaHashAlgorithm.values()) {
      assertEquals(a, ImaHashAlgorithm.byId(a.id()).orElseThrow());
    }
    assertEquals(4, ImaHashAlgorithm.SHA256.id());
    assertEquals(7, ImaHashAlgorithm.SHA224.id());
    assertEquals(17, ImaHashAlgorithm.SM3_256.id());
    assertEquals(22, ImaHashAlgorithm.SHA3_512.id());
    assertTrue(ImaHashAlgorithm.byId(23).isEmpty());
    assertTrue(ImaHashAlgorithm.byId(-1).isEmpty());
    for (ImaHashAlgorithm a : new ImaHashAlgorithm[] {ImaHashAlgorithm.SHA1, ImaHashAlgorithm.SHA224,
        ImaHashAlgorithm.SHA256, ImaHashAlgorithm.SHA384, ImaHashAlgorithm.SHA512, ImaHashAlgorithm.SHA3_256,
        ImaHashAlgorithm.SHA3_384, ImaHashAlgorithm.SHA3_512, ImaHashAlgorithm.MD5}) {
      assertTrue(a.isSupportedByJvm(), a.toString());
    }
    assertFalse(ImaHashAlgorithm.STREEBOG512.isSupportedByJvm());
    assertEquals(ImaHashAlgorithm.SHA384, ImaHashAlgorithm.byName("SHA-384"));
    assertEquals(ImaHashAlgorithm.SHA3_256, ImaHashAlgorithm.byName("sha3-256"));
    assertThrows(IllegalArgumentException.class, () -> ImaHashAlgorithm.byName("sha257"));
  }
}
