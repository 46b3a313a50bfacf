package dev.peerid.windows.authenticode;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

/** The legacy countersignature form, RSA over a bare SHA-1 digest, is recognised exactly and only. */
class CountersignaturesTest {
  private static byte[] raw(RSAPrivateKey key, byte[] block) {
    byte[] s = new BigInteger(1, block).modPow(key.getPrivateExponent(), key.getModulus()).toByteArray();
    int k = (key.getModulus().bitLength() + 7) / 8;
    byte[] out = new byte[k];
    System.arraycopy(s, Math.max(0, s.length - k), out, Math.max(0, k - s.length), Math.min(k, s.length));
    return out;
  }

  private static byte[] block(int k, byte[] payload, int ffs) {
    byte[] b = new byte[k];
    b[1] = 1;
    for (int i = 2; i < 2 + ffs; i++) {
      b[i] = (byte) 0xff;
    }
    System.arraycopy(payload, 0, b, k - payload.length, payload.length);
    return b;
  }

  @Test
  void onlyAFullyPaddedBareDigestVerifies() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    var pair = g.generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    RSAPrivateKey priv = (RSAPrivateKey) pair.getPrivate();
    int k = 256;
    byte[] digest = MessageDigest.getInstance("SHA-1").digest("signed attributes".getBytes());
    byte[] good = raw(priv, block(k, digest, k - 3 - 20));
    assertTrue(Countersignatures.bareDigestSignature(pub, good, digest));

    byte[] other = MessageDigest.getInstance("SHA-1").digest("other".getBytes());
    assertFalse(Countersignatures.bareDigestSignature(pub, good, other), "another digest");
    byte[] flipped = good.clone();
    flipped[100] ^= 1;
    assertFalse(Countersignatures.bareDigestSignature(pub, flipped, digest), "a changed signature");
    byte[] shortPadding = block(k, digest, k - 3 - 20);
    shortPadding[10] = 0x00;
    assertFalse(Countersignatures.bareDigestSignature(pub, raw(priv, shortPadding), digest), "a broken FF run");
    byte[] type2 = block(k, digest, k - 3 - 20);
    type2[1] = 2;
    assertFalse(Countersignatures.bareDigestSignature(pub, raw(priv, type2), digest), "block type 2");
    assertFalse(Countersignatures.bareDigestSignature(pub, java.util.Arrays.copyOf(good, k - 1), digest), "length");
  }
}
