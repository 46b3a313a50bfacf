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

  private CodeSignature(Builder b) {
    this.format = Objects.requireNonNull(b.format, "format");
    this.status = Objects.requireNonNull(b.status, "status");
    this.signers = List.copyOf(b.signers);
    this.digest = b.digest;
    this.reasons = List.copyOf(b.reasons);
    this.attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.attributes));
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

  public Builder toBuilder() {
    Builder b = new Builder(format, status);
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

  public static final class Builder {
    private final SignatureFormat format;
    private SignatureStatus status;
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

    public CodeSignature build() {
      return new CodeSignature(this);
    }
  }
}
