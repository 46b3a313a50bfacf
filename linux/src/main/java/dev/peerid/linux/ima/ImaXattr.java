package dev.peerid.linux.ima;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One parsed {@code security.ima} value. Immutable; byte arrays are copied in and out.
 *
 * <p>The parser is strict where the kernel is strict: a signature's size field must equal the
 * bytes that follow it exactly ({@code len - 9 == sig_size}), a digest must have its algorithm's
 * length. evmctl 1.4 accepts a wrong size field; we do not. Every malformed value gives an
 * {@link ImaFormatException}; the parser never allocates more than the input's size.
 */
public final class ImaXattr {
  /** Largest value the kernel stores in one xattr (XATTR_SIZE_MAX). */
  public static final int MAX_LENGTH = 65536;

  private static final int SIGNATURE_HEADER_LENGTH = 9;

  /** The kinds of value, by the type byte. */
  public enum Kind {
    /** 0x01 IMA_XATTR_DIGEST: a bare SHA-1 (or MD5) digest. */
    DIGEST(0x01, "digest"),
    /** 0x02 EVM_XATTR_HMAC: an EVM HMAC, not a file signature. */
    EVM_HMAC(0x02, "EVM HMAC"),
    /** 0x03 EVM_IMA_XATTR_DIGSIG: signature v2 over the file's digest. */
    SIGNATURE_V2(0x03, "signature v2"),
    /** 0x04 IMA_XATTR_DIGEST_NG: a bare digest with its algorithm. */
    DIGEST_NG(0x04, "digest (ng)"),
    /** 0x05 EVM_XATTR_PORTABLE_DIGSIG: an EVM portable signature, not a file signature. */
    EVM_PORTABLE_SIGNATURE(0x05, "EVM portable signature"),
    /** 0x06 IMA_VERITY_DIGSIG: signature v3 over an fs-verity digest. */
    VERITY_SIGNATURE_V3(0x06, "fs-verity signature v3");

    private final int type;
    private final String description;

    Kind(int type, String description) {
      this.type = type;
      this.description = description;
    }

    /** The type byte. */
    public int type() {
      return type;
    }

    public String description() {
      return description;
    }

    /** True for the kinds that carry a signature (v2 or v3). */
    public boolean isSignature() {
      return this == SIGNATURE_V2 || this == VERITY_SIGNATURE_V3;
    }

    /** True for the kinds that carry only a digest. */
    public boolean isDigest() {
      return this == DIGEST || this == DIGEST_NG;
    }

    /** True for EVM's own kinds, which say nothing about a file's content. */
    public boolean isEvm() {
      return this == EVM_HMAC || this == EVM_PORTABLE_SIGNATURE;
    }
  }

  private final Kind kind;
  private final ImaHashAlgorithm algorithm;
  private final byte[] digest;
  private final int keyId;
  private final byte[] signature;
  private final byte[] raw;

  private ImaXattr(Kind kind, ImaHashAlgorithm algorithm, byte[] digest, int keyId, byte[] signature, byte[] raw) {
    this.kind = kind;
    this.algorithm = algorithm;
    this.digest = digest;
    this.keyId = keyId;
    this.signature = signature;
    this.raw = raw;
  }

  /**
   * Parses a value.
   *
   * @throws ImaFormatException when the value is empty, truncated, too long, of an unknown type or
   *                            version, names an unknown hash algorithm, or has a wrong size field
   */
  public static ImaXattr parse(byte[] value) throws ImaFormatException {
    Objects.requireNonNull(value, "value");
    if (value.length == 0) {
      throw new ImaFormatException("empty value (zero length)");
    }
    if (value.length > MAX_LENGTH) {
      throw new ImaFormatException("value is " + value.length + " bytes, longer than the kernel's limit of "
          + MAX_LENGTH);
    }
    int type = value[0] & 0xff;
    byte[] raw = value.clone();
    switch (type) {
      case 0x01:
        return parseLegacyDigest(raw);
      case 0x02:
        return new ImaXattr(Kind.EVM_HMAC, null, null, 0, null, raw);
      case 0x03:
        return parseSignature(raw, Kind.SIGNATURE_V2, 2);
      case 0x04:
        return parseDigestNg(raw);
      case 0x05:
        return new ImaXattr(Kind.EVM_PORTABLE_SIGNATURE, null, null, 0, null, raw);
      case 0x06:
        return parseSignature(raw, Kind.VERITY_SIGNATURE_V3, 3);
      default:
        throw new ImaFormatException(String.format(Locale.ROOT, "unknown type 0x%02x (expected 0x01 to 0x06)", type));
    }
  }

  private static ImaXattr parseLegacyDigest(byte[] raw) throws ImaFormatException {
    // The kernel reads a 21-byte value as SHA-1 and a 17-byte value as MD5 (ima_get_hash_algo).
    ImaHashAlgorithm algorithm;
    if (raw.length == 1 + ImaHashAlgorithm.SHA1.digestLength()) {
      algorithm = ImaHashAlgorithm.SHA1;
    } else if (raw.length == 1 + ImaHashAlgorithm.MD5.digestLength()) {
      algorithm = ImaHashAlgorithm.MD5;
    } else {
      throw new ImaFormatException("type 0x01 digest is " + (raw.length - 1)
          + " bytes; expected 20 (sha1) or 16 (md5)");
    }
    return new ImaXattr(Kind.DIGEST, algorithm, slice(raw, 1, raw.length), 0, null, raw);
  }

  private static ImaXattr parseDigestNg(byte[] raw) throws ImaFormatException {
    if (raw.length < 2) {
      throw new ImaFormatException("type 0x04 digest is truncated: no hash algorithm byte");
    }
    ImaHashAlgorithm algorithm = algorithm(raw[1] & 0xff);
    int length = raw.length - 2;
    if (length != algorithm.digestLength()) {
      throw new ImaFormatException("type 0x04 " + algorithm + " digest is " + length + " bytes; expected "
          + algorithm.digestLength());
    }
    return new ImaXattr(Kind.DIGEST_NG, algorithm, slice(raw, 2, raw.length), 0, null, raw);
  }

  private static ImaXattr parseSignature(byte[] raw, Kind kind, int expectedVersion) throws ImaFormatException {
    String what = String.format(Locale.ROOT, "type 0x%02x %s", kind.type(), kind.description());
    if (raw.length < SIGNATURE_HEADER_LENGTH) {
      throw new ImaFormatException(what + " is truncated: " + raw.length + " bytes, the header alone is "
          + SIGNATURE_HEADER_LENGTH);
    }
    int version = raw[1] & 0xff;
    if (version != expectedVersion) {
      throw new ImaFormatException(what + " has version " + version + "; expected " + expectedVersion);
    }
    ImaHashAlgorithm algorithm = algorithm(raw[2] & 0xff);
    int keyId = ((raw[3] & 0xff) << 24) | ((raw[4] & 0xff) << 16) | ((raw[5] & 0xff) << 8) | (raw[6] & 0xff);
    int sigSize = ((raw[7] & 0xff) << 8) | (raw[8] & 0xff);
    int actual = raw.length - SIGNATURE_HEADER_LENGTH;
    if (sigSize != actual) {
      throw new ImaFormatException(what + " says its signature is " + sigSize + " bytes but " + actual
          + " follow the header (the kernel requires them to be equal)");
    }
    if (sigSize == 0) {
      throw new ImaFormatException(what + " has an empty signature");
    }
    return new ImaXattr(kind, algorithm, null, keyId, slice(raw, SIGNATURE_HEADER_LENGTH, raw.length), raw);
  }

  private static ImaHashAlgorithm algorithm(int id) throws ImaFormatException {
    return ImaHashAlgorithm.byId(id).orElseThrow(() -> new ImaFormatException("unknown hash algorithm " + id
        + " (hash_info.h knows 0 to 22)"));
  }

  private static byte[] slice(byte[] a, int from, int to) {
    return java.util.Arrays.copyOfRange(a, from, to);
  }

  /** Builds the value of a signature v2: {@code 03 02 algo keyid[4] size[2] signature}. */
  static byte[] encodeSignatureV2(ImaHashAlgorithm algorithm, int keyId, byte[] signature) {
    if (signature.length == 0 || signature.length > 0xffff) {
      throw new IllegalArgumentException("a signature must be 1 to 65535 bytes, got " + signature.length);
    }
    byte[] out = new byte[SIGNATURE_HEADER_LENGTH + signature.length];
    out[0] = 0x03;
    out[1] = 0x02;
    out[2] = (byte) algorithm.id();
    out[3] = (byte) (keyId >>> 24);
    out[4] = (byte) (keyId >>> 16);
    out[5] = (byte) (keyId >>> 8);
    out[6] = (byte) keyId;
    out[7] = (byte) (signature.length >>> 8);
    out[8] = (byte) signature.length;
    System.arraycopy(signature, 0, out, SIGNATURE_HEADER_LENGTH, signature.length);
    return out;
  }

  public Kind kind() {
    return kind;
  }

  /** The hash algorithm; empty for the EVM kinds. */
  public Optional<ImaHashAlgorithm> algorithm() {
    return Optional.ofNullable(algorithm);
  }

  /** The stored digest of the digest kinds; empty otherwise. */
  public Optional<byte[]> digest() {
    return Optional.ofNullable(digest).map(byte[]::clone);
  }

  /** The 32-bit key id of the signature kinds (0 otherwise). */
  public int keyId() {
    return keyId;
  }

  /** The key id as 8 lower-case hex digits. */
  public String keyIdHex() {
    return ImaKeyIds.hex(keyId);
  }

  /** The signature bytes of the signature kinds; empty otherwise. */
  public Optional<byte[]> signature() {
    return Optional.ofNullable(signature).map(byte[]::clone);
  }

  /** The value as stored. */
  public byte[] encoded() {
    return raw.clone();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("ImaXattr{").append(kind.description());
    if (algorithm != null) {
      sb.append(' ').append(algorithm);
    }
    if (kind.isSignature()) {
      sb.append(" keyid=").append(keyIdHex()).append(" sig=").append(signature.length).append('B');
    }
    if (digest != null) {
      sb.append(' ').append(HexFormat.of().formatHex(digest));
    }
    return sb.append('}').toString();
  }
}
