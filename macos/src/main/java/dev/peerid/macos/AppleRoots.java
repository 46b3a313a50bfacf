package dev.peerid.macos;

import dev.peerid.Signer;
import java.io.IOException;
import java.io.InputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Apple's public root certificates, shipped as resources and pinned here by SHA-256 so that a
 * changed resource is noticed rather than trusted. Shipped: Apple Root CA (the root of Developer
 * ID and of Apple's own code signing).
 *
 * <p>The verifier always reports whether a signature chains to them (attribute
 * {@code appleAnchor}), but they never make a signature VALID on their own: every Developer ID in
 * the world chains to them. The policy believes an Apple-anchored signer's facts ({@code team},
 * {@code identifier}, …) so that, as in Apple's requirement language,
 * {@code anchor apple generic and team = "S7ZR395D8U" and identifier "com.vendor.client"} works
 * offline; trust these roots explicitly to make {@code signed} hold as well:
 *
 * <pre>{@code
 * TrustStore.Builder trust = TrustStore.builder();
 * AppleRoots.certificates().forEach(root -> trust.trust("apple", root));
 * }</pre>
 */
public final class AppleRoots {
  /** Resource name to the SHA-256 of its DER certificate. */
  private static final Map<String, String> PINNED = Map.of(
      "AppleRootCA.pem", "b0b1730ecbc7ff4505142c49f1295e6eda6bcaed7e2c68c5be91b5a11001f024");

  private static final List<X509Certificate> ROOTS = load();

  private AppleRoots() {}

  /** Apple's root certificates shipped with peerid. */
  public static List<X509Certificate> certificates() {
    return ROOTS;
  }

  static List<X509Certificate> all() {
    return ROOTS;
  }

  /** The Apple root that is {@code certificate} itself, or that issued it (signature checked). */
  static Optional<X509Certificate> anchorFor(X509Certificate certificate) {
    String fp = Signer.fingerprint(certificate);
    for (X509Certificate root : ROOTS) {
      if (Signer.fingerprint(root).equals(fp)) {
        return Optional.of(root);
      }
    }
    for (X509Certificate root : ROOTS) {
      if (SignerChain.issued(root, certificate)) {
        return Optional.of(root);
      }
    }
    return Optional.empty();
  }

  private static List<X509Certificate> load() {
    List<X509Certificate> roots = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (Map.Entry<String, String> e : PINNED.entrySet()) {
        try (InputStream in = AppleRoots.class.getResourceAsStream(e.getKey())) {
          if (in == null) {
            throw new IllegalStateException("missing resource " + e.getKey());
          }
          X509Certificate c = (X509Certificate) cf.generateCertificate(in);
          if (!Signer.fingerprint(c).equals(e.getValue())) {
            throw new IllegalStateException("resource " + e.getKey() + " is not the pinned Apple root");
          }
          roots.add(c);
        }
      }
    } catch (CertificateException | IOException e) {
      throw new IllegalStateException("cannot load Apple root certificates", e);
    }
    return List.copyOf(roots);
  }
}
