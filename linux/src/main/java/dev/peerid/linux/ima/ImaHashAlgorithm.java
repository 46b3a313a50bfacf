package dev.peerid.linux.ima;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/**
 * The kernel's hash algorithm numbers ({@code include/uapi/linux/hash_info.h}) as they appear in
 * {@code security.ima}, with the JDK's name where the JDK has the algorithm.
 */
public enum ImaHashAlgorithm {
  MD4(0, "md4", null, 16),
  MD5(1, "md5", "MD5", 16),
  SHA1(2, "sha1", "SHA-1", 20),
  RIPEMD160(3, "rmd160", null, 20),
  SHA256(4, "sha256", "SHA-256", 32),
  SHA384(5, "sha384", "SHA-384", 48),
  SHA512(6, "sha512", "SHA-512", 64),
  SHA224(7, "sha224", "SHA-224", 28),
  RIPEMD128(8, "rmd128", null, 16),
  RIPEMD256(9, "rmd256", null, 32),
  RIPEMD320(10, "rmd320", null, 40),
  WP256(11, "wp256", null, 32),
  WP384(12, "wp384", null, 48),
  WP512(13, "wp512", null, 64),
  TGR128(14, "tgr128", null, 16),
  TGR160(15, "tgr160", null, 20),
  TGR192(16, "tgr192", null, 24),
  SM3_256(17, "sm3", null, 32),
  STREEBOG256(18, "streebog256", null, 32),
  STREEBOG512(19, "streebog512", null, 64),
  SHA3_256(20, "sha3-256", "SHA3-256", 32),
  SHA3_384(21, "sha3-384", "SHA3-384", 48),
  SHA3_512(22, "sha3-512", "SHA3-512", 64);

  private static final ImaHashAlgorithm[] BY_ID = values();

  private final int id;
  private final String kernelName;
  private final String jdkName;
  private final int digestLength;

  ImaHashAlgorithm(int id, String kernelName, String jdkName, int digestLength) {
    this.id = id;
    this.kernelName = kernelName;
    this.jdkName = jdkName;
    this.digestLength = digestLength;
  }

  /** The number in the xattr ({@code enum hash_algo}). */
  public int id() {
    return id;
  }

  /** The kernel's and evmctl's name ({@code sha256}). */
  public String kernelName() {
    return kernelName;
  }

  /** The JDK's name ({@code SHA-256}), or empty when the JDK has no such algorithm. */
  public Optional<String> jdkName() {
    return Optional.ofNullable(jdkName);
  }

  /** Digest length in bytes. */
  public int digestLength() {
    return digestLength;
  }

  /** True when this JVM can compute this digest. */
  public boolean isSupportedByJvm() {
    if (jdkName == null) {
      return false;
    }
    try {
      MessageDigest.getInstance(jdkName);
      return true;
    } catch (NoSuchAlgorithmException e) {
      return false;
    }
  }

  /** A new digest engine; fails with a clear message when this JVM lacks the algorithm. */
  MessageDigest newDigest() throws NoSuchAlgorithmException {
    if (jdkName == null) {
      throw new NoSuchAlgorithmException(unsupportedMessage());
    }
    try {
      return MessageDigest.getInstance(jdkName);
    } catch (NoSuchAlgorithmException e) {
      throw new NoSuchAlgorithmException(unsupportedMessage(), e);
    }
  }

  String unsupportedMessage() {
    return "hash algorithm " + kernelName + " is unsupported by this JVM";
  }

  /** The algorithm with this kernel number, if the number is known. */
  public static Optional<ImaHashAlgorithm> byId(int id) {
    return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
  }

  /** Looks an algorithm up by its kernel name ({@code sha256}) or JDK name ({@code SHA-256}). */
  public static ImaHashAlgorithm byName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (ImaHashAlgorithm a : BY_ID) {
      if (a.kernelName.equals(n) || (a.jdkName != null && a.jdkName.toLowerCase(Locale.ROOT).equals(n))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown hash algorithm '" + name + "' (expected e.g. sha256, sha384, sha512)");
  }

  @Override
  public String toString() {
    return kernelName;
  }
}
