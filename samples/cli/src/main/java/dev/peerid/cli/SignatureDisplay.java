package dev.peerid.cli;

import dev.peerid.CodeSignature;
import dev.peerid.Signer;
import dev.peerid.SignatureStatus;
import dev.peerid.Timestamp;
import dev.peerid.VerdictJson;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code peerid display} shows of a signature: its contents, never a trust decision. */
final class SignatureDisplay {
  private static final String SUBJECT_KEY_ID = "2.5.29.14";

  private SignatureDisplay() {}

  /**
   * path, format, signed, signers (keyId, subject, identifier, teamId, chain of certificates:
   * subject, issuer, serial, sha256, notBefore, notAfter, key, subjectKeyId), digest, timestamps
   * (signature, kind, time, authority), attributes, problems (why a present signature could not be read or does not match).
   */
  static Map<String, Object> toMap(String path, CodeSignature signature) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", path);
    m.put("format", signature.format().id());
    m.put("signed", signature.status() != SignatureStatus.UNSIGNED);
    List<Object> signers = new ArrayList<>();
    for (Signer s : signature.signers()) {
      Map<String, Object> sm = new LinkedHashMap<>();
      s.keyId().ifPresent(v -> sm.put("keyId", v));
      s.subject().ifPresent(v -> sm.put("subject", v));
      s.identifier().ifPresent(v -> sm.put("identifier", v));
      s.teamId().ifPresent(v -> sm.put("teamId", v));
      List<Object> chain = new ArrayList<>();
      for (X509Certificate c : s.chain()) {
        chain.add(certificate(c));
      }
      sm.put("chain", chain);
      signers.add(sm);
    }
    m.put("signers", signers);
    signature.digest().ifPresent(d -> m.put("digest", VerdictJson.digest(d)));
    List<Object> timestamps = new ArrayList<>();
    for (Timestamp t : signature.timestamps()) {
      // what the timestamp says; whether it counts depends on --trust-tsa, a verdict: verify's business
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("signature", t.signature());
      tm.put("kind", t.kind());
      t.time().ifPresent(v -> tm.put("time", v.toString()));
      t.authority().ifPresent(v -> tm.put("authority", v));
      timestamps.add(tm);
    }
    m.put("timestamps", timestamps);
    m.put("attributes", new LinkedHashMap<>(signature.attributes()));
    if (signature.status() == SignatureStatus.INVALID) {
      m.put("problems", signature.reasons());
    }
    return m;
  }

  private static Map<String, Object> certificate(X509Certificate c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("subject", c.getSubjectX500Principal().getName());
    m.put("issuer", c.getIssuerX500Principal().getName());
    m.put("serial", c.getSerialNumber().toString(16));
    m.put("sha256", Signer.fingerprint(c));
    m.put("notBefore", c.getNotBefore().toInstant().toString());
    m.put("notAfter", c.getNotAfter().toInstant().toString());
    m.put("key", keyDescription(c));
    String ski = subjectKeyId(c);
    if (ski != null) {
      m.put("subjectKeyId", ski);
    }
    return m;
  }

  private static String keyDescription(X509Certificate c) {
    var key = c.getPublicKey();
    if (key instanceof RSAKey rsa) {
      return "RSA " + rsa.getModulus().bitLength();
    }
    if (key instanceof ECKey ec) {
      return "EC " + ec.getParams().getCurve().getField().getFieldSize();
    }
    return key.getAlgorithm();
  }

  /** The SubjectKeyIdentifier's bytes: an OCTET STRING (the extension value) holding an OCTET STRING. */
  private static String subjectKeyId(X509Certificate c) {
    byte[] outer = c.getExtensionValue(SUBJECT_KEY_ID);
    if (outer == null || outer.length < 4 || outer[0] != 0x04 || outer[2] != 0x04) {
      return null;
    }
    int len = outer[3] & 0xff;
    if (len > 127 || 4 + len != outer.length) {
      return null;
    }
    return HexFormat.of().formatHex(outer, 4, 4 + len);
  }

  @SuppressWarnings("unchecked")
  static String toText(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder();
    sb.append(m.get("path")).append('\n');
    sb.append("  format: ").append(m.get("format"))
        .append(Boolean.TRUE.equals(m.get("signed")) ? "" : " (not signed)").append('\n');
    for (Object o : (List<Object>) m.get("signers")) {
      Map<String, Object> s = (Map<String, Object>) o;
      sb.append("  signer:");
      for (String k : List.of("keyId", "subject", "identifier", "teamId")) {
        if (s.containsKey(k)) {
          sb.append(' ').append(k).append('=').append(s.get(k));
        }
      }
      sb.append('\n');
      int depth = 0;
      for (Object co : (List<Object>) s.get("chain")) {
        Map<String, Object> c = (Map<String, Object>) co;
        sb.append("    certificate ").append(depth++).append(": ").append(c.get("subject")).append('\n')
            .append("      issuer: ").append(c.get("issuer")).append('\n')
            .append("      sha256: ").append(c.get("sha256")).append('\n')
            .append("      valid: ").append(c.get("notBefore")).append(" to ").append(c.get("notAfter")).append('\n')
            .append("      key: ").append(c.get("key"))
            .append(c.containsKey("subjectKeyId") ? ", subject key id " + c.get("subjectKeyId") : "").append('\n');
      }
    }
    if (m.get("digest") instanceof Map<?, ?> d) {
      sb.append("  digest: ").append(d.get("algorithm")).append(' ').append(d.get("hex")).append('\n');
    }
    for (Object o : (List<Object>) m.get("timestamps")) {
      Map<String, Object> t = (Map<String, Object>) o;
      sb.append("  timestamp (").append(t.get("signature")).append(", ").append(t.get("kind")).append("): ")
          .append(t.getOrDefault("time", "time unknown")).append(" by ")
          .append(t.getOrDefault("authority", "an unknown authority")).append('\n');
    }
    ((Map<String, Object>) m.get("attributes")).forEach((k, v) -> sb.append("  ").append(k).append(": ")
        .append(v).append('\n'));
    if (m.get("problems") instanceof List<?> problems) {
      problems.forEach(p -> sb.append("  problem: ").append(p).append('\n'));
    }
    return sb.toString();
  }
}
