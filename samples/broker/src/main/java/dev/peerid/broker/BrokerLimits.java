package dev.peerid.broker;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the broker lets one connection or all of them use. Defaults: 32 MiB of stored messages in
 * all, 1 MiB per topic (a read of a topic answers at most that, plus a few hundred bytes); a
 * connection idle for 60 s, or whose request (headers and body) is not complete 10 s after its first
 * byte, is closed. Set in the config file ({@code max-stored-bytes 64MiB}, {@code idle-timeout 30s})
 * or on the command line ({@code --max-stored-bytes 64MiB}), which wins.
 */
record BrokerLimits(long maxStoredBytes, long maxTopicBytes, Duration idleTimeout, Duration headerTimeout) {
  static final BrokerLimits DEFAULTS = new BrokerLimits(32L << 20, 1L << 20, Duration.ofSeconds(60),
      Duration.ofSeconds(10));

  /** The budget of one topic: never more than the total. */
  long topicBudget() {
    return Math.min(maxTopicBytes, maxStoredBytes);
  }

  /** One setting, as the config file and the command line name it. */
  enum Option {
    MAX_STORED_BYTES("max-stored-bytes"),
    MAX_TOPIC_BYTES("max-topic-bytes"),
    IDLE_TIMEOUT("idle-timeout"),
    HEADER_TIMEOUT("header-timeout");

    final String word;

    Option(String word) {
      this.word = word;
    }

    static Optional<Option> named(String word) {
      for (Option o : values()) {
        if (o.word.equals(word)) {
          return Optional.of(o);
        }
      }
      return Optional.empty();
    }

    /** The limits with this option set from {@code text}; a clear error when it does not parse. */
    BrokerLimits apply(BrokerLimits l, String text) {
      return switch (this) {
        case MAX_STORED_BYTES -> new BrokerLimits(bytes(text), l.maxTopicBytes, l.idleTimeout, l.headerTimeout);
        case MAX_TOPIC_BYTES -> new BrokerLimits(l.maxStoredBytes, bytes(text), l.idleTimeout, l.headerTimeout);
        case IDLE_TIMEOUT -> new BrokerLimits(l.maxStoredBytes, l.maxTopicBytes, duration(text), l.headerTimeout);
        case HEADER_TIMEOUT -> new BrokerLimits(l.maxStoredBytes, l.maxTopicBytes, l.idleTimeout, duration(text));
      };
    }

    private long bytes(String text) {
      Matcher m = SIZE.matcher(text.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException(word + ": expected a size such as 65536, 512KiB or 32MiB, got '" + text + "'");
      }
      long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "" -> 1;
        case "kib" -> 1L << 10;
        case "mib" -> 1L << 20;
        default -> 1L << 30;
      };
      long n = Long.parseLong(m.group(1));
      if (n < 1 || n > (1L << 40) / unit) {
        throw new IllegalArgumentException(word + ": must be between 1 byte and 1 TiB, got '" + text + "'");
      }
      return n * unit;
    }

    private Duration duration(String text) {
      Matcher m = TIME.matcher(text.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException(word + ": expected a duration such as 500ms, 10s or 2m, got '" + text + "'");
      }
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        default -> Duration.ofMinutes(n);
      };
      if (d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(word + ": must be more than 0 and at most a day, got '" + text + "'");
      }
      return d;
    }
  }

  private static final Pattern SIZE = Pattern.compile("(\\d{1,13})((?i:kib|mib|gib)?)");
  private static final Pattern TIME = Pattern.compile("(\\d{1,9})(ms|s|m)");
}
