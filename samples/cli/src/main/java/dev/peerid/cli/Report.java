package dev.peerid.cli;

import dev.peerid.CodeSignature;
import dev.peerid.PeerIdentity;
import dev.peerid.Signer;
import dev.peerid.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a verdict into the documented JSON object or a readable block of text. */
final class Report {
  private Report() {}

  /**
   * The JSON object: path, pid (inspect only), format, status, signer, digest, decision, reasons.
   *
   * @param path the input as the user named it, used when the identity could not be established
   * @param pid  the pid for inspect, or null for verify
   */
  static Map<String, Object> toMap(String path, Long pid, Verdict verdict) {
    Map<String, Object> m = new LinkedHashMap<>();
    PeerIdentity id = verdict.identity().orElse(null);
    m.put("path", id != null ? id.executable().path() : path);
    if (pid != null) {
      m.put("pid", pid);
    }
    CodeSignature sig = id != null ? id.signature() : null;
    m.put("format", sig != null ? sig.format().id() : "none");
    m.put("status", sig != null ? sig.status().id() : "unknown");
    m.put("signer", sig == null ? null : sig.signer().map(Report::signer).orElse(null));
    m.put("digest", sig == null ? null : sig.digest().map(d -> {
      Map<String, Object> dm = new LinkedHashMap<>();
      dm.put("algorithm", d.algorithm().toLowerCase(java.util.Locale.ROOT).replaceFirst("^sha-", "sha"));
      dm.put("hex", d.hex());
      return (Object) dm;
    }).orElse(null));
    m.put("decision", verdict.isAllowed() ? "allow" : "deny");
    m.put("reasons", new ArrayList<>(verdict.reasons()));
    return m;
  }

  private static Map<String, Object> signer(Signer s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keyId", s.keyId().orElse(null));
    s.subject().ifPresent(v -> m.put("subject", v));
    s.sha256().ifPresent(v -> m.put("sha256", v));
    s.trustName().ifPresent(v -> m.put("trustName", v));
    s.teamId().ifPresent(v -> m.put("teamId", v));
    s.identifier().ifPresent(v -> m.put("identifier", v));
    return m;
  }

  /** A few lines a person can read and act on. */
  static String toText(String path, Long pid, Verdict verdict) {
    Map<String, Object> m = toMap(path, pid, verdict);
    StringBuilder sb = new StringBuilder();
    sb.append(verdict.isAllowed() ? "ALLOW " : "DENY  ");
    if (pid != null) {
      sb.append("pid ").append(pid).append(' ');
    }
    sb.append(m.get("path")).append('\n');
    sb.append("  signature: ").append(m.get("format")).append(", ").append(m.get("status")).append('\n');
    verdict.identity().flatMap(i -> i.signature().signer()).ifPresent(s -> {
      List<String> parts = new ArrayList<>();
      s.keyId().ifPresent(k -> parts.add("key id " + k));
      s.subject().ifPresent(v -> parts.add("subject " + v));
      s.trustName().ifPresent(v -> parts.add("trusted as \"" + v + "\""));
      s.teamId().ifPresent(v -> parts.add("team " + v));
      sb.append("  signer: ").append(String.join(", ", parts)).append('\n');
    });
    verdict.identity().flatMap(i -> i.signature().digest())
        .ifPresent(d -> sb.append("  digest: ").append(d.algorithm()).append(' ').append(d.hex()).append('\n'));
    verdict.identity().flatMap(PeerIdentity::process).ifPresent(p -> {
      sb.append("  process: uid ").append(p.uid()).append(p.userName().map(n -> " (" + n + ")").orElse(""))
          .append(", gid ").append(p.gid()).append(", pinned by ").append(p.raceToken());
      if (p.racy()) {
        sb.append(" (looked up by pid: racy, for inspection only)");
      }
      sb.append('\n');
    });
    for (String r : verdict.reasons()) {
      sb.append(verdict.isAllowed() ? "  ok: " : "  reason: ").append(r).append('\n');
    }
    return sb.toString();
  }
}
