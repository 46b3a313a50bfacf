package dev.peerid.linux.ima;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.Interpreters;
import dev.peerid.SignatureFormat;
import dev.peerid.SignatureStatus;
import dev.peerid.Signer;
import dev.peerid.TrustEntry;
import dev.peerid.TrustStore;
import dev.peerid.spi.ExecutableFile;
import dev.peerid.spi.ExecutableVerifier;
import dev.peerid.spi.VerificationContext;
import dev.peerid.spi.VerifiedExecutable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Verifies a file's IMA signature: {@code security.ima}, or when the file has none, the evmctl
 * sidecar {@code PATH.sig} (a signature authenticates itself against the bytes, so where it is
 * stored does not weaken it). The bytes and the xattr are read from {@link ExecutableFile#content()}
 * (for a process: {@code /proc/<pid>/exe}, the running inode); the sidecar is found next to
 * {@link ExecutableFile#path()}.
 *
 * <h2>Outcomes</h2>
 * <ul>
 *   <li>No xattr, no sidecar: UNSIGNED.</li>
 *   <li>A bare digest (types 0x01, 0x04): UNSIGNED. A digest is not a signature: anyone who can
 *       write the file can write a matching digest. The file is hashed and its digest reported;
 *       a digest that does not match is said in the reasons, the status stays UNSIGNED.</li>
 *   <li>Malformed value, EVM types (0x02, 0x05), fs-verity v3 (0x06), an algorithm this JVM lacks,
 *       MD5, a file over {@link VerificationContext#maxFileSize()}: INVALID with the reason.</li>
 *   <li>Signature v2 that verifies with a trusted key whose id matches: VALID, unless that key,
 *       its certificate or the key id is revoked: REVOKED.</li>
 *   <li>Key id revoked and no trusted key verifies: REVOKED.</li>
 *   <li>Trusted keys answer to the signature's key id but none verifies: INVALID (the file changed
 *       after signing, or someone signed with another key and wrote that id).</li>
 *   <li>No trusted key answers to the key id: UNTRUSTED. Without the signer's key one cannot tell
 *       a foreign signature from a tampered file, so this never claims tampering.</li>
 * </ul>
 * Attributes: {@code storage} ({@code xattr} or {@code sidecar}), {@code imaType},
 * {@code hashAlgorithm}, {@code keyId}.
 */
public final class ImaVerifier implements ExecutableVerifier {
  /** The attribute the kernel appraises. */
  public static final String XATTR_NAME = "security.ima";
  /** evmctl's {@code --sigfile} suffix. */
  public static final String SIDECAR_SUFFIX = ".sig";

  private final NativeFiles files;

  /** The verifier ServiceLoader finds: real xattrs through libc. */
  public ImaVerifier() {
    this(NativeFiles.system());
  }

  ImaVerifier(NativeFiles files) {
    this.files = files;
  }

  @Override
  public SignatureFormat format() {
    return SignatureFormat.IMA;
  }

  /** True on Linux, the one system with IMA. */
  public static boolean isSupported() {
    return System.getProperty("os.name", "").startsWith("Linux");
  }

  /** IMA is stored beside the bytes, so on Linux any file may carry it; elsewhere none does. */
  @Override
  public boolean recognizes(byte[] head) {
    return isSupported();
  }

  @Override
  public int priority() {
    return 100;
  }

  /**
   * Verifies {@code file}. Never throws for bad signature data (that is INVALID with a reason);
   * {@link IOException} means the file or its xattr could not be read.
   */
  @Override
  public VerifiedExecutable verify(ExecutableFile file, VerificationContext context) throws IOException {
    if (!Files.isRegularFile(file.content())) {
      // opening a FIFO would block; a directory or device is no program
      throw new IOException(file.path() + ": not a regular file");
    }
    return new Run(file, context).run();
  }

  /** Reads the stored value: xattr first, then sidecar. */
  private Optional<Stored> readStored(ExecutableFile file) throws IOException {
    Optional<byte[]> xattr = files.get(file.content(), XATTR_NAME);
    if (xattr.isPresent()) {
      return Optional.of(new Stored(xattr.get(), "xattr", null));
    }
    if (!file.pathNamesContent()) {
      // the path means another file where we look (a peer's own mount namespace or root, a deleted
      // file): what lies next to it there is not this file's
      return Optional.empty();
    }
    Path sidecar = Path.of(file.path() + SIDECAR_SUFFIX);
    Optional<byte[]> value;
    try {
      value = files.readSmall(sidecar, ImaXattr.MAX_LENGTH + 1);
    } catch (IOException e) {
      return Optional.of(new Stored(null, "sidecar", "the sidecar cannot be read: " + e.getMessage()));
    }
    return value.map(v -> new Stored(v, "sidecar", null));
  }

  /** A stored value, where it was found, and why it could not be read (then value is null). */
  private record Stored(byte[] value, String storage, String error) {}

  /** One verification; holds the file, the context and what was found so far. */
  private final class Run {
    private final ExecutableFile file;
    private final VerificationContext context;
    private Digest sha256;

    Run(ExecutableFile file, VerificationContext context) {
      this.file = file;
      this.context = context;
    }

    VerifiedExecutable run() throws IOException {
      Optional<Stored> stored = readStored(file);
      if (stored.isEmpty()) {
        return unsigned();
      }
      Stored s = stored.get();
      if (s.value() == null) {
        return result(CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.INVALID)
            .reason(s.error()).attribute("storage", s.storage()).build());
      }
      ImaXattr xattr;
      try {
        xattr = ImaXattr.parse(s.value());
      } catch (ImaFormatException e) {
        return result(CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.INVALID)
            .reason("malformed IMA " + where(s) + ": " + e.getMessage())
            .attribute("storage", s.storage())
            .build());
      }
      CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.INVALID)
          .attribute("storage", s.storage())
          .attribute("imaType", xattr.kind().description());
      xattr.algorithm().ifPresent(a -> b.attribute("hashAlgorithm", a.kernelName()));
      if (xattr.kind().isEvm()) {
        return result(b.reason("IMA " + where(s) + " holds an " + xattr.kind().description() + " (type 0x0"
            + xattr.kind().type() + "), which is not a signature of the file's content").build());
      }
      if (xattr.kind() == ImaXattr.Kind.VERITY_SIGNATURE_V3) {
        b.attribute("keyId", xattr.keyIdHex());
        return result(b.reason("fs-verity signatures (v3) are not supported (IMA " + where(s) + ", key id "
            + xattr.keyIdHex() + ")").build());
      }
      if (xattr.kind().isDigest()) {
        return digestOnly(xattr, s, b);
      }
      b.attribute("keyId", xattr.keyIdHex());
      return signatureV2(xattr, s, b);
    }

    private VerifiedExecutable unsigned() throws IOException {
      CodeSignature.Builder b = CodeSignature.builder(SignatureFormat.IMA, SignatureStatus.UNSIGNED)
          .reason("no IMA signature: " + file.path() + " has no " + XATTR_NAME + (file.pathNamesContent()
              ? " and no " + SIDECAR_SUFFIX + " sidecar"
              : "; no " + SIDECAR_SUFFIX + " sidecar was looked for, as that path is not the running file where"
                  + " the server looks (deleted or replaced, or the peer's own mount namespace or root)"));
      if (context.needSha256()) {
        Optional<byte[]> d = hashOrExplain(ImaHashAlgorithm.SHA256, b, SignatureStatus.UNSIGNED);
        d.ifPresent(v -> b.digest(Digest.of("SHA-256", v)));
      }
      return result(b.build());
    }

    private VerifiedExecutable digestOnly(ImaXattr xattr, Stored s, CodeSignature.Builder b) throws IOException {
      ImaHashAlgorithm algorithm = xattr.algorithm().orElseThrow();
      byte[] stored = xattr.digest().orElseThrow();
      b.status(SignatureStatus.UNSIGNED)
          .reason("IMA " + where(s) + " holds only a " + algorithm + " digest, no signature")
          .attribute("storedDigest", HexFormat.of().formatHex(stored));
      if (!algorithm.isSupportedByJvm()) {
        return result(b.reason("the digest was not checked: " + algorithm.unsupportedMessage()).build());
      }
      Optional<byte[]> actual = hashOrExplain(algorithm, b, SignatureStatus.UNSIGNED);
      if (actual.isPresent()) {
        b.digest(Digest.of(algorithm.jdkName().orElseThrow(), actual.get()));
        boolean matches = MessageDigest.isEqual(stored, actual.get());
        b.attribute("digestMatches", Boolean.toString(matches));
        if (!matches) {
          b.reason("the stored digest does not match the file's content");
        }
      }
      return result(b.build());
    }

    private VerifiedExecutable signatureV2(ImaXattr xattr, Stored s, CodeSignature.Builder b) throws IOException {
      ImaHashAlgorithm algorithm = xattr.algorithm().orElseThrow();
      String keyId = xattr.keyIdHex();
      if (algorithm == ImaHashAlgorithm.MD5) {
        return result(b.reason("IMA signature uses md5, a broken hash; it is not accepted").build());
      }
      if (!algorithm.isSupportedByJvm()) {
        return result(b.reason("IMA signature uses " + algorithm.unsupportedMessage()).build());
      }
      TrustStore trust = context.trust();
      List<TrustEntry> candidates = candidates(trust, xattr.keyId());
      if (candidates.isEmpty() && !context.needSha256()) {
        // no trusted key could verify it, whatever the bytes: do not let an unknown signer make the
        // server hash a file (up to the size limit) for a verdict that cannot be "valid"
        b.signer(Signer.builder().keyId(keyId).build());
        if (trust.isKeyIdRevoked(keyId)) {
          return result(b.status(SignatureStatus.REVOKED).reason("IMA key id " + keyId + " is revoked").build());
        }
        return result(b.status(SignatureStatus.UNTRUSTED)
            .reason("signed with IMA key id " + keyId + ", which no trusted key or certificate has").build());
      }
      Optional<byte[]> digest = hashOrExplain(algorithm, b, SignatureStatus.INVALID);
      if (digest.isEmpty()) {
        return result(b.build());
      }
      b.digest(Digest.of(algorithm.jdkName().orElseThrow(), digest.get()));
      byte[] signature = xattr.signature().orElseThrow();
      for (TrustEntry entry : candidates) {
        if (!ImaSignatures.verifies(entry.publicKey(), algorithm, digest.get(), signature)) {
          continue;
        }
        Signer.Builder signer = Signer.builder().keyId(keyId).publicKey(entry.publicKey()).trustName(entry.name());
        entry.certificate().ifPresent(c -> signer.chain(List.of(c)));
        b.signer(signer.build());
        Optional<String> revoked = revocation(trust, entry, keyId);
        if (revoked.isPresent()) {
          return result(b.status(SignatureStatus.REVOKED).reason(revoked.get()).build());
        }
        return result(b.status(SignatureStatus.VALID).build());
      }
      b.signer(Signer.builder().keyId(keyId).build());
      if (trust.isKeyIdRevoked(keyId)) {
        return result(b.status(SignatureStatus.REVOKED)
            .reason("IMA key id " + keyId + " is revoked").build());
      }
      if (!candidates.isEmpty()) {
        return result(b.status(SignatureStatus.INVALID)
            .reason("signature does not match the file's content (tampered?): it does not verify with the "
                + candidates.size() + " trusted key(s) with id " + keyId
                + " (the file changed after signing, or another key was used with that id)")
            .build());
      }
      return result(b.status(SignatureStatus.UNTRUSTED)
          .reason("signed with IMA key id " + keyId + ", which no trusted key or certificate has")
          .build());
    }

    /** Hashes the file with {@code algorithm} (and SHA-256 when needed); empty with a reason when too large. */
    private Optional<byte[]> hashOrExplain(ImaHashAlgorithm algorithm, CodeSignature.Builder b,
        SignatureStatus statusWhenUnhashed) throws IOException {
      MessageDigest main;
      MessageDigest extra = null;
      try {
        main = algorithm.newDigest();
        if (context.needSha256() && algorithm != ImaHashAlgorithm.SHA256) {
          extra = MessageDigest.getInstance("SHA-256");
        }
      } catch (NoSuchAlgorithmException e) {
        b.status(statusWhenUnhashed).reason(e.getMessage());
        return Optional.empty();
      }
      try {
        if (extra != null) {
          FileHasher.hash(file.content(), context.maxFileSize(), main, extra);
        } else {
          FileHasher.hash(file.content(), context.maxFileSize(), main);
        }
      } catch (FileHasher.TooLargeException e) {
        b.status(statusWhenUnhashed).reason(file.path() + " is " + e.size + " bytes, over the " + describeSize(context.maxFileSize())
            + " limit for hashing");
        return Optional.empty();
      }
      byte[] value = main.digest();
      if (context.needSha256()) {
        sha256 = Digest.of("SHA-256", extra != null ? extra.digest() : value);
      }
      return Optional.of(value);
    }

    private VerifiedExecutable result(CodeSignature signature) {
      return new VerifiedExecutable(signature, Interpreters.byPath(file.path()), Optional.ofNullable(sha256));
    }
  }

  private static String where(Stored s) {
    return "xattr".equals(s.storage()) ? XATTR_NAME : "sidecar";
  }

  /** Trusted RSA/EC entries answering to {@code keyId}, in trust-store order. */
  private static List<TrustEntry> candidates(TrustStore trust, int keyId) {
    List<TrustEntry> out = new ArrayList<>();
    for (TrustEntry e : trust.entries()) {
      PublicKey key = e.publicKey();
      if (ImaSignatures.isSupportedKey(key) && ImaKeyIds.of(key, e.certificate().orElse(null)).contains(keyId)) {
        out.add(e);
      }
    }
    return out;
  }

  private static Optional<String> revocation(TrustStore trust, TrustEntry entry, String keyId) {
    Optional<X509Certificate> cert = entry.certificate();
    if (cert.isPresent() && trust.isRevoked(cert.get())) {
      return Optional.of("the signing certificate of '" + entry.name() + "' (key id " + keyId + ") is revoked");
    }
    if (trust.isRevoked(entry.publicKey())) {
      return Optional.of("the signing key of '" + entry.name() + "' (key id " + keyId + ") is revoked");
    }
    // the key id in the header is not signed: a key answering to two ids (SKI and public-key hash)
    // must be revoked by either, whichever one the header carries
    for (int id : ImaKeyIds.of(entry.publicKey(), cert.orElse(null))) {
      String hex = ImaKeyIds.hex(id);
      if (trust.isKeyIdRevoked(hex)) {
        return Optional.of("IMA key id " + hex + " is revoked" + (hex.equals(keyId) ? ""
            : " (the signing key of '" + entry.name() + "' also answers to it; the signature carries " + keyId + ")"));
      }
    }
    if (trust.isKeyIdRevoked(keyId)) {
      return Optional.of("IMA key id " + keyId + " is revoked");
    }
    return Optional.empty();
  }

  static String describeSize(long bytes) {
    if (bytes >= (1L << 30) && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + " GiB";
    }
    if (bytes >= (1L << 20) && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + " MiB";
    }
    return bytes + "-byte";
  }
}
