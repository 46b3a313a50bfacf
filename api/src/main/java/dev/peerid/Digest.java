package dev.peerid;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A digest value and the name of its algorithm (JDK names: {@code SHA-256}, {@code SHA3-512}, ...).
 * Immutable; the bytes are copied in and out.
 */
public final class Digest {
  private final String algorithm;
  private final byte[] value;

  private Digest(String algorithm, byte[] value) {
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.value = value.clone();
  }

  public static Digest of(String algorithm, byte[] value) {
    return new Digest(algorithm, Objects.requireNonNull(value, "value"));
  }

  public String algorithm() {
    return algorithm;
  }

  public byte[] value() {
    return value.clone();
  }

  /** Lower-case hex of the digest value. */
  public String hex() {
    return HexFormat.of().formatHex(value);
  }

  /** Constant-time comparison with raw digest bytes of the same algorithm. */
  public boolean matches(byte[] other) {
    return other != null && MessageDigest.isEqual(value, other);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && d.algorithm.equals(algorithm) && Arrays.equals(d.value, value);
  }

  @Override
  public int hashCode() {
    return algorithm.hashCode() * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex();
  }
}
