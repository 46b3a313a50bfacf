package dev.peerid.broker;

import dev.peerid.CodeSignature;
import dev.peerid.Digest;
import dev.peerid.PeerIdentity;
import dev.peerid.Signer;
import dev.peerid.Verdict;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A verdict as JSON, with the fields of {@code peerid --json} (samples/cli {@code Report}; the two
 * samples keep their own small copies rather than depend on each other).
 */
final class IdentityJson {
  private IdentityJson() {}

  static Map<String, Object> of(Verdict verdict) {
    Map<String, Object> m = new LinkedHashMap<>();
    Optional<PeerIdentity> id = verdict.identity();
    m.put("path", id.map(i -> i.executable().path()));
    m.put("pid", id.flatMap(PeerIdentity::process).map(p -> p.pid()));
    m.put("format", id.map(i -> i.signature().format().id()).orElse("none"));
    m.put("status", id.map(i -> i.signature().status().id()).orElse("unknown"));
    m.put("signer", id.flatMap(i -> i.signature().signer()).map(IdentityJson::signer));
    m.put("digest", id.flatMap(IdentityJson::digest).map(d -> {
      Map<String, Object> dm = new LinkedHashMap<>();
      // the CLI's spelling: sha256, sha512, ...
      dm.put("algorithm", d.algorithm().toLowerCase(Locale.ROOT).replaceFirst("^sha-", "sha"));
      dm.put("hex", d.hex());
      return dm;
    }));
    m.put("decision", verdict.isAllowed() ? "allow" : "deny");
    m.put("reasons", verdict.reasons());
    return m;
  }

  /** Same fields as the CLI: absent ones are left out, except keyId (null when absent). */
  static Map<String, Object> signer(Signer s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keyId", s.keyId());
    s.subject().ifPresent(v -> m.put("subject", v));
    s.sha256().ifPresent(v -> m.put("sha256", v));
    s.trustName().ifPresent(v -> m.put("trustName", v));
    return m;
  }

  private static Optional<Digest> digest(PeerIdentity id) {
    CodeSignature sig = id.signature();
    return sig.digest().isPresent() ? sig.digest() : id.executable().sha256();
  }
}
