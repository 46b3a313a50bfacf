package dev.peerid.windows.authenticode;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Computes the Authenticode image hash in one streamed pass, for several digest algorithms at once
 * (a file signed with SHA-1 and SHA-256 is read once), optionally with the SHA-256 of the whole file.
 *
 * <p>Hashed: {@code [0,cks) ‖ [cks+4,dd) ‖ [dd+8,certOff) ‖ [certOff+size, EOF)} where cks is the
 * CheckSum field, dd the certificate-table directory entry and certOff/size the table.
 */
public final class ImageHasher {
  private static final int CHUNK = 1 << 20;

  private ImageHasher() {}

  /** The result of one pass: image digests by JDK algorithm name, and the whole-file SHA-256 if asked. */
  public record Result(Map<String, byte[]> imageDigests, byte[] fileSha256) {}

  /**
   * @param algorithms JDK digest names ({@code SHA-256}, ...)
   * @param fileSha256 also hash every byte of the file with SHA-256
   */
  public static Result hash(FileChannel channel, PeImage image, Set<String> algorithms, boolean fileSha256)
      throws IOException {
    Map<String, MessageDigest> digests = new LinkedHashMap<>();
    for (String alg : algorithms) {
      digests.put(alg, newDigest(alg));
    }
    MessageDigest whole = fileSha256 ? newDigest("SHA-256") : null;
    long size = image.fileSize();
    long[][] ranges = ranges(image);
    byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(size, 1))];
    ByteBuffer buf = ByteBuffer.wrap(chunk);
    long pos = 0;
    while (pos < size) {
      int want = (int) Math.min(chunk.length, size - pos);
      buf.clear().limit(want);
      while (buf.hasRemaining()) {
        int n = channel.read(buf, pos + buf.position());
        if (n < 0) {
          throw new EOFException("file shrank while it was hashed (at " + (pos + buf.position()) + ")");
        }
      }
      if (whole != null) {
        whole.update(chunk, 0, want);
      }
      long chunkEnd = pos + want;
      for (long[] r : ranges) {
        long from = Math.max(r[0], pos);
        long to = Math.min(r[1], chunkEnd);
        if (from < to) {
          for (MessageDigest md : digests.values()) {
            md.update(chunk, (int) (from - pos), (int) (to - from));
          }
        }
      }
      pos = chunkEnd;
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    digests.forEach((alg, md) -> out.put(alg, md.digest()));
    return new Result(out, whole != null ? whole.digest() : null);
  }

  /** The hashed byte ranges [from, to), in file order. */
  static long[][] ranges(PeImage image) {
    long cks = image.checksumOffset();
    long dd = image.certificateDirectoryOffset();
    long size = image.fileSize();
    if (!image.hasCertificateDirectory()) {
      return new long[][] {{0, cks}, {cks + 4, size}};
    }
    if (!image.hasCertificateTable()) {
      return new long[][] {{0, cks}, {cks + 4, dd}, {dd + 8, size}};
    }
    long certOff = image.certificateTableOffset();
    long certEnd = certOff + image.certificateTableSize();
    return new long[][] {{0, cks}, {cks + 4, dd}, {dd + 8, Math.min(certOff, size)}, {Math.min(certEnd, size), size}};
  }

  static MessageDigest newDigest(String alg) {
    try {
      return MessageDigest.getInstance(alg);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + alg, e);
    }
  }
}
