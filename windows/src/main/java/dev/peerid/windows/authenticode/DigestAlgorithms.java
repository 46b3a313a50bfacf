package dev.peerid.windows.authenticode;

import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/** The digest algorithms Authenticode images may be hashed with, by OID. */
final class DigestAlgorithms {
  private static final Map<String, String> JDK_NAMES = Map.of(
      "1.3.14.3.2.26", "SHA-1",
      "2.16.840.1.101.3.4.2.1", "SHA-256",
      "2.16.840.1.101.3.4.2.2", "SHA-384",
      "2.16.840.1.101.3.4.2.3", "SHA-512");

  private DigestAlgorithms() {}

  static Optional<String> jdkName(ASN1ObjectIdentifier oid) {
    return Optional.ofNullable(JDK_NAMES.get(oid.getId()));
  }
}
