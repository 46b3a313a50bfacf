package dev.peerid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of checking an executable's code signature: its format, its status, the signer(s),
 * the digest that was checked, and the reasons when the status is not {@link SignatureStatus#VALID}.
 *
 * <p>{@link #attributes()} holds format-specific facts as strings (e.g. {@code cdhash},
 * {@code flags}, {@code hardenedRuntime}, {@code entitlements}, {@code verifiedBy}) for policies,
 * reports and logs.
 */
public final class CodeSignature {
  private final SignatureFormat format;
  private final SignatureStatus status;
  private final List<Signer> signers;
  private final Digest digest;
  private final List<String> reasons;
  private final Map<String, String> attributes;
  private final List<Slice> slices;
  private final List<Timestamp> timestamps;

  private CodeSignature(Builder b) {
    this.format = Objects.requireNonNull(b.format, "format");
    this.status = Objects.requireNonNull(b.status, "status");
    this.signers = List.copyOf(b.signers);
    this.digest = b.digest;
    this.reasons = List.copyOf(b.reasons);
    this.attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.attributes));
    this.slices = List.copyOf(b.slices);
    this.timestamps = List.copyOf(b.timestamps);
    if (status != SignatureStatus.VALID && reasons.isEmpty()) {
      throw new IllegalArgumentException("a " + status.id() + " signature needs a reason");
    }
  }

  public static Builder builder(SignatureFormat format, SignatureStatus status) {
    return new Builder(format, status);
  }

  /** An unsigned result with one reason. */
  public static CodeSignature unsigned(SignatureFormat format, String reason) {
    return builder(format, SignatureStatus.UNSIGNED).reason(reason).build();
  }

  /** An invalid result with one reason. */
  public static CodeSignature invalid(SignatureFormat format, String reason) {
    return builder(format, SignatureStatus.INVALID).reason(reason).build();
  }

  public SignatureFormat format() {
    return format;
  }

  public SignatureStatus status() {
    return status;
  }

  public boolean isValid() {
    return status == SignatureStatus.VALID;
  }

  /** The primary signer: the first in {@link #signers()}. */
  public Optional<Signer> signer() {
    return signers.isEmpty() ? Optional.empty() : Optional.of(signers.get(0));
  }

  /** Every signer, primary first (Authenticode files may carry several, nested or side by side). */
  public List<Signer> signers() {
    return signers;
  }

  /** The digest the signature covers, as computed from the file (may be present even when unsigned). */
  public Optional<Digest> digest() {
    return Optional.ofNullable(digest);
  }

  /** Why the status is not valid (and any notes when it is); never empty unless valid. */
  public List<String> reasons() {
    return reasons;
  }

  public Map<String, String> attributes() {
    return attributes;
  }

  public Optional<String> attribute(String name) {
    return Optional.ofNullable(attributes.get(name));
  }

  /**
   * The signature of each architecture of a Mach-O file, in file order (one for a thin file); empty
   * for other formats. Each slice is signed on its own and may carry its own identifier; the
   * file's own status is that of its worst slice, and a policy's signer facts hold for the file
   * only when they hold for every slice.
   */
  public List<Slice> slices() {
    return slices;
  }

  /** The signature of the slice for {@code architecture} (e.g. {@code arm64}, {@code x86_64}), if there is one. */
  public Optional<CodeSignature> slice(String architecture) {
    return slices.stream().filter(s -> s.architecture().equals(architecture)).map(Slice::signature).findFirst();
  }

  /** Every timestamp the signature carries, whether it counted or not (and why not); empty when none. */
  public List<Timestamp> timestamps() {
    return timestamps;
  }

  public Builder toBuilder() {
    Builder b = new Builder(format, status);
    b.slices.addAll(slices);
    b.timestamps.addAll(timestamps);
    b.signers.addAll(signers);
    b.digest = digest;
    b.reasons.addAll(reasons);
    b.attributes.putAll(attributes);
    return b;
  }

  @Override
  public String toString() {
    return "CodeSignature{" + format.id() + " " + status.id() + (signers.isEmpty() ? "" : " " + signers.get(0))
        + (reasons.isEmpty() ? "" : " " + reasons) + "}";
  }

  /** One architecture's own signature inside a universal (or thin) Mach-O file. */
  public record Slice(String architecture, CodeSignature signature) {
    public Slice {
      Objects.requireNonNull(architecture, "architecture");
      Objects.requireNonNull(signature, "signature");
    }
  }

  public static final class Builder {
    private final SignatureFormat format;
    private SignatureStatus status;
    private final List<Slice> slices = new ArrayList<>();
    private final List<Timestamp> timestamps = new ArrayList<>();
    private final List<Signer> signers = new ArrayList<>();
    private Digest digest;
    private final List<String> reasons = new ArrayList<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();

    private Builder(SignatureFormat format, SignatureStatus status) {
      this.format = format;
      this.status = status;
    }

    public Builder status(SignatureStatus status) {
      this.status = status;
      return this;
    }

    public Builder signer(Signer signer) {
      signers.add(Objects.requireNonNull(signer, "signer"));
      return this;
    }

    public Builder digest(Digest digest) {
      this.digest = digest;
      return this;
    }

    public Builder reason(String reason) {
      reasons.add(Objects.requireNonNull(reason, "reason"));
      return this;
    }

    public Builder attribute(String name, String value) {
      attributes.put(name, value);
      return this;
    }

    public Builder slice(String architecture, CodeSignature signature) {
      slices.add(new Slice(architecture, signature));
      return this;
    }

    public Builder timestamp(Timestamp timestamp) {
      timestamps.add(Objects.requireNonNull(timestamp, "timestamp"));
      return this;
    }

    public CodeSignature build() {
      return new CodeSignature(this);
    }
  }
}
