package dev.peerid.macos;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Orders a CMS certificate bag into a chain from the signing certificate upwards: each next link
 * is a certificate in the bag (never reused) whose subject is the issuer and whose key verifies the
 * link's signature. Bounded by {@link #MAX_LENGTH}, so a bag of cross-issued certificates cannot
 * loop.
 */
final class SignerChain {
  static final int MAX_LENGTH = 10;

  private SignerChain() {}

  static List<X509Certificate> build(X509Certificate leaf, Collection<X509Certificate> bag) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf);
    List<X509Certificate> unused = new ArrayList<>(bag);
    unused.remove(leaf);
    X509Certificate current = leaf;
    while (chain.size() < MAX_LENGTH && !isSelfIssued(current)) {
      X509Certificate next = null;
      for (X509Certificate candidate : unused) {
        if (issued(candidate, current)) {
          next = candidate;
          break;
        }
      }
      if (next == null) {
        break;
      }
      chain.add(next);
      unused.remove(next);
      current = next;
    }
    return List.copyOf(chain);
  }

  /** True when {@code issuer}'s subject names {@code subject}'s issuer and its key verifies it. */
  static boolean issued(X509Certificate issuer, X509Certificate subject) {
    if (!issuer.getSubjectX500Principal().equals(subject.getIssuerX500Principal())) {
      return false;
    }
    try {
      subject.verify(issuer.getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  static boolean isSelfIssued(X509Certificate c) {
    return issued(c, c);
  }
}
