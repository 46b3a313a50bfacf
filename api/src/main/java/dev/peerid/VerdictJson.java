package dev.peerid;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A verdict as one JSON object, in the form the {@code peerid} tool prints with {@code --json} and
 * the sample broker answers to {@code /whoami} — handy for audit logs too:
 *
 * <pre>{@code
 * {"path":"/opt/vendor/client","pid":4242,"format":"ima","status":"valid",
 *  "signer":{"keyId":"1a2b3c4d","subject":"CN=Vendor","sha256":"…","trustName":"vendor"},
 *  "digest":{"algorithm":"sha256","hex":"…"},"decision":"allow","reasons":["…"]}
 * }</pre>
 *
 * {@code pid} is present only for a running peer; {@code signer} and {@code digest} are null when
 * unknown; in {@code signer}, {@code keyId} is always present (null when the format has none) and
 * the other fields only when known. A Mach-O file adds {@code slices} (one object per
 * architecture: arch, identifier, team, status, reasons) and a signature with timestamps adds
 * {@code timestamps} (signature, kind, time, authority, counted, and reason when it did not count),
 * both before {@code decision}. Identities that could not be established report format
 * {@code none} and status {@code unknown}.
 */
public final class VerdictJson {
  private VerdictJson() {}

  /** The verdict as one line of JSON. */
  public static String toJson(Verdict verdict) {
    return write(toMap(verdict, null));
  }

  /**
   * The verdict as an ordered map of JSON values (strings, numbers, booleans, null, maps, lists),
   * ready for {@link #write}.
   *
   * @param fallbackPath the path to report when the identity could not be established (e.g. the
   *                     input the user named), or null
   */
  public static Map<String, Object> toMap(Verdict verdict, String fallbackPath) {
    Map<String, Object> m = new LinkedHashMap<>();
    PeerIdentity id = verdict.identity().orElse(null);
    m.put("path", id != null ? id.executable().path() : fallbackPath);
    if (id != null && id.process().isPresent()) {
      m.put("pid", id.process().get().pid());
    }
    CodeSignature sig = id != null ? id.signature() : null;
    m.put("format", sig != null ? sig.format().id() : SignatureFormat.NONE.id());
    m.put("status", sig != null ? sig.status().id() : "unknown");
    m.put("signer", sig == null ? null : sig.signer().map(VerdictJson::signer).orElse(null));
    Optional<Digest> digest = sig == null ? Optional.empty()
        : sig.digest().isPresent() ? sig.digest() : id.executable().sha256();
    m.put("digest", digest.map(VerdictJson::digest).orElse(null));
    if (sig != null && !sig.slices().isEmpty()) {
      m.put("slices", sig.slices().stream().map(VerdictJson::slice).toList());
    }
    if (sig != null && !sig.timestamps().isEmpty()) {
      m.put("timestamps", sig.timestamps().stream().map(VerdictJson::timestamp).toList());
    }
    m.put("decision", verdict.isAllowed() ? "allow" : "deny");
    m.put("reasons", new ArrayList<>(verdict.reasons()));
    return m;
  }

  /** A signer's JSON fields: keyId (always, null when none), then subject, sha256, trustName, teamId, identifier where known. */
  public static Map<String, Object> signer(Signer s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("keyId", s.keyId().orElse(null));
    s.subject().ifPresent(v -> m.put("subject", v));
    s.sha256().ifPresent(v -> m.put("sha256", v));
    s.trustName().ifPresent(v -> m.put("trustName", v));
    s.teamId().ifPresent(v -> m.put("teamId", v));
    s.identifier().ifPresent(v -> m.put("identifier", v));
    return m;
  }

  /** One slice of a Mach-O file: arch, identifier, team (null when unknown), status, reasons. */
  public static Map<String, Object> slice(CodeSignature.Slice slice) {
    CodeSignature sig = slice.signature();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arch", slice.architecture());
    m.put("identifier", sig.signer().flatMap(Signer::identifier).or(() -> sig.attribute("identifier")).orElse(null));
    m.put("team", sig.signer().flatMap(Signer::teamId).or(() -> sig.attribute("teamId")).orElse(null));
    m.put("status", sig.status().id());
    m.put("reasons", new ArrayList<>(sig.reasons()));
    return m;
  }

  /** One timestamp: signature, kind, time and authority (null when unknown), counted, and the reason when it did not. */
  public static Map<String, Object> timestamp(Timestamp t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("signature", t.signature());
    m.put("kind", t.kind());
    m.put("time", t.time().map(Object::toString).orElse(null));
    m.put("authority", t.authority().orElse(null));
    m.put("counted", t.counted());
    t.reason().ifPresent(r -> m.put("reason", r));
    return m;
  }

  /** {"algorithm":"sha256","hex":"…"}: lower-case, "SHA-256" spelled as IMA and evmctl do. */
  public static Map<String, Object> digest(Digest d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("algorithm", d.algorithm().toLowerCase(Locale.ROOT).replaceFirst("^sha-", "sha"));
    m.put("hex", d.hex());
    return m;
  }

  /**
   * Writes a JSON value: maps (keys as strings), collections, strings, numbers, booleans, null and
   * {@link Optional}s (empty is null); anything else as its string.
   */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object value) {
    if (value instanceof Optional<?> o) {
      write(sb, o.orElse(null));
    } else if (value == null) {
      sb.append("null");
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
        || value instanceof Short || value instanceof Byte) {
      sb.append(value);
    } else if (value instanceof Map<?, ?> map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        string(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (value instanceof Collection<?> list) {
      sb.append('[');
      boolean first = true;
      for (Object o : list) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else {
      string(sb, value.toString());
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** One pass: runs of characters that need no escape are appended whole; no per-character formatting. */
  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    int run = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\' && c != 0x2028 && c != 0x2029) {
        continue;
      }
      sb.append(s, run, i);
      run = i + 1;
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
            .append(HEX[c & 0xf]);
      }
    }
    sb.append(s, run, s.length()).append('"');
  }
}
