package dev.peerid.broker;

import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The broker's policies, read from a small config file. One rule per line; {@code #} starts a
 * comment; every expression is in the peerid policy language:
 *
 * <pre>
 * connect               signed by "vendor"            # who may connect at all
 * route GET  /whoami    signed                        # per route; a path may end in *
 * route POST /topics/*  signed by "vendor"
 * topic publish alerts  signed by "vendor" and uid = 0   # per topic: publish or read
 * topic read    alerts  signed
 * socket-mode 0660                                    # permissions of the socket file
 * audit /var/log/broker/verdicts.jsonl                # one JSON line per connection's verdict
 * max-stored-bytes 32MiB                              # limits (see BrokerLimits), each at most once
 * max-topic-bytes 1MiB
 * idle-timeout 60s
 * header-timeout 10s
 * </pre>
 *
 * A route or topic without a rule is open to every peer the connection policy let in. The first
 * matching route rule applies.
 */
final class AccessRules {
  record Route(String method, String path, Policy policy) {
    boolean matches(String m, String p) {
      if (!method.equals("*") && !method.equalsIgnoreCase(m)) {
        return false;
      }
      return path.endsWith("*") ? p.startsWith(path.substring(0, path.length() - 1)) : path.equals(p);
    }
  }

  private Policy connect;
  private final List<Route> routes = new ArrayList<>();
  private final Map<String, Policy> publish = new HashMap<>();
  private final Map<String, Policy> read = new HashMap<>();
  private Set<PosixFilePermission> socketMode;
  private Path audit;
  private BrokerLimits limits = BrokerLimits.DEFAULTS;
  private final Set<BrokerLimits.Option> limitsSet = java.util.EnumSet.noneOf(BrokerLimits.Option.class);

  Optional<Policy> connect() {
    return Optional.ofNullable(connect);
  }

  Optional<Policy> route(String method, String path) {
    return routes.stream().filter(r -> r.matches(method, path)).map(Route::policy).findFirst();
  }

  Optional<Policy> publish(String topic) {
    return Optional.ofNullable(publish.get(topic));
  }

  Optional<Policy> read(String topic) {
    return Optional.ofNullable(read.get(topic));
  }

  Optional<Set<PosixFilePermission>> socketMode() {
    return Optional.ofNullable(socketMode);
  }

  /** The file that gets one JSON line (VerdictJson) per connection's verdict. */
  Optional<Path> audit() {
    return Optional.ofNullable(audit);
  }

  /** The limits the file sets, the defaults for the others. */
  BrokerLimits limits() {
    return limits;
  }

  static AccessRules empty() {
    return new AccessRules();
  }

  static AccessRules load(Path file) throws IOException, ConfigException {
    long size = Files.size(file);
    if (size > 1 << 20) {
      throw new ConfigException(file + ": too large for a config file (" + size + " bytes)");
    }
    return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
  }

  static AccessRules parse(String name, String text) throws ConfigException {
    AccessRules rules = new AccessRules();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String where = name + " line " + (i + 1);
      String line = stripComment(lines[i]).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+", 4);
      switch (words[0]) {
        case "connect" -> {
          if (rules.connect != null) {
            throw new ConfigException(where + ": a second 'connect' rule");
          }
          rules.connect = policy(where, line.substring("connect".length()));
        }
        case "route" -> {
          if (words.length < 4) {
            throw new ConfigException(where + ": expected 'route METHOD PATH EXPRESSION'");
          }
          if (!words[2].startsWith("/")) {
            throw new ConfigException(where + ": a route path starts with '/', got '" + words[2] + "'");
          }
          rules.routes.add(new Route(words[1].toUpperCase(Locale.ROOT), words[2], policy(where, words[3])));
        }
        case "topic" -> {
          if (words.length < 4 || !(words[1].equals("publish") || words[1].equals("read"))) {
            throw new ConfigException(where + ": expected 'topic publish|read NAME EXPRESSION'");
          }
          if (!Topics.isValidName(words[2])) {
            throw new ConfigException(where + ": bad topic name '" + words[2] + "' (letters, digits, . _ -; at most 64)");
          }
          Map<String, Policy> target = words[1].equals("publish") ? rules.publish : rules.read;
          if (target.put(words[2], policy(where, words[3])) != null) {
            throw new ConfigException(where + ": a second '" + words[1] + "' rule for topic " + words[2]);
          }
        }
        case "socket-mode" -> {
          if (words.length != 2) {
            throw new ConfigException(where + ": expected 'socket-mode OCTAL', e.g. socket-mode 0660");
          }
          rules.socketMode = mode(where, words[1]);
        }
        case "audit" -> {
          if (rules.audit != null || line.length() == "audit".length()) {
            throw new ConfigException(where + ": expected one 'audit FILE'");
          }
          rules.audit = Path.of(line.substring("audit".length()).strip());
        }
        default -> {
          BrokerLimits.Option option = BrokerLimits.Option.named(words[0]).orElseThrow(() -> new ConfigException(
              where + ": unknown rule '" + words[0] + "' (expected connect, route, topic, socket-mode, audit, "
                  + "max-stored-bytes, max-topic-bytes, idle-timeout or header-timeout)"));
          if (words.length != 2) {
            throw new ConfigException(where + ": expected '" + option.word + " VALUE'");
          }
          if (!rules.limitsSet.add(option)) {
            throw new ConfigException(where + ": a second '" + option.word + "'");
          }
          try {
            rules.limits = option.apply(rules.limits, words[1]);
          } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
          }
        }
      }
    }
    return rules;
  }

  /** Parses an octal mode such as 0600 or 660 (owner and group bits only: others never get access). */
  static Set<PosixFilePermission> mode(String where, String octal) throws ConfigException {
    if (!octal.matches("0?[0-7]{3}")) {
      throw new ConfigException(where + ": socket mode must be octal like 0600, got '" + octal + "'");
    }
    int m = Integer.parseInt(octal, 8);
    StringBuilder rwx = new StringBuilder();
    for (int shift = 6; shift >= 0; shift -= 3) {
      int bits = (m >> shift) & 7;
      rwx.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-').append((bits & 1) != 0 ? 'x' : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }

  static Policy policy(String where, String text) throws ConfigException {
    if (text.isBlank()) {
      throw new ConfigException(where + ": the rule has no policy expression");
    }
    try {
      return Policy.parse(text.strip());
    } catch (PolicyParseException e) {
      throw new ConfigException(where + ": " + e.getMessage());
    }
  }

  private static String stripComment(String line) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == '#' && !quoted) {
        return line.substring(0, i);
      }
    }
    return line;
  }

  /** A config file error naming the file and line. */
  static final class ConfigException extends Exception {
    ConfigException(String message) {
      super(message);
    }
  }
}
