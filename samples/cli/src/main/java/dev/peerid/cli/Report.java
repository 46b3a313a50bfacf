package dev.peerid.cli;

import dev.peerid.CodeSignature;
import dev.peerid.PeerIdentity;
import dev.peerid.Signer;
import dev.peerid.Timestamp;
import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a verdict into the documented JSON object or a readable block of text. */
final class Report {
  private Report() {}

  /**
   * The JSON object of {@link VerdictJson}: path, pid (inspect only), format, status, signer,
   * digest, slices and timestamps (when there are any), decision, reasons.
   *
   * @param path the input as the user named it, used when the identity could not be established
   * @param pid  the pid for inspect, or null for verify
   */
  static Map<String, Object> toMap(String path, Long pid, Verdict verdict) {
    Map<String, Object> fields = VerdictJson.toMap(verdict, path);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", fields.remove("path"));
    fields.remove("pid");
    if (pid != null) {
      m.put("pid", pid);
    }
    m.putAll(fields);
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
    verdict.identity().ifPresent(i -> {
      for (CodeSignature.Slice slice : i.signature().slices()) {
        CodeSignature sig = slice.signature();
        sb.append("  slice ").append(slice.architecture()).append(": ").append(sig.status().id());
        sig.signer().flatMap(Signer::identifier).ifPresent(v -> sb.append(", identifier ").append(v));
        sig.signer().flatMap(Signer::teamId).ifPresent(v -> sb.append(", team ").append(v));
        sb.append('\n');
      }
      for (Timestamp t : i.signature().timestamps()) {
        sb.append("  timestamp (").append(t.signature()).append(", ").append(t.kind()).append("): ")
            .append(t.time().map(Object::toString).orElse("time unknown")).append(" by ")
            .append(t.authority().orElse("an unknown authority"))
            .append(t.counted() ? ", counted" : ", ignored: " + t.reason().orElse("")).append('\n');
      }
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
