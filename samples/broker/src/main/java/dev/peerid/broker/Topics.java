package dev.peerid.broker;

import dev.peerid.PeerIdentity;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Recent messages per topic, each stamped with its publisher's verified identity. Bounded: at most
 * {@code maxTopics} topics and {@code perTopic} messages each (the oldest go first).
 */
final class Topics {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final int maxTopics;
  private final int perTopic;
  private final Map<String, ArrayDeque<Map<String, Object>>> topics = new LinkedHashMap<>();
  private long seq;

  Topics(int maxTopics, int perTopic) {
    this.maxTopics = maxTopics;
    this.perTopic = perTopic;
  }

  static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Stores a message; returns its sequence number, or -1 when there is no room for a new topic. */
  synchronized long publish(String topic, String body, PeerIdentity publisher) {
    ArrayDeque<Map<String, Object>> q = topics.get(topic);
    if (q == null) {
      if (topics.size() >= maxTopics) {
        return -1;
      }
      q = new ArrayDeque<>();
      topics.put(topic, q);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq", ++seq);
    m.put("time", Instant.now().toString());
    m.put("body", body);
    m.put("publisher", stamp(publisher));
    if (q.size() >= perTopic) {
      q.removeFirst();
    }
    q.addLast(m);
    return seq;
  }

  synchronized List<Map<String, Object>> recent(String topic) {
    ArrayDeque<Map<String, Object>> q = topics.get(topic);
    return q == null ? List.of() : new ArrayList<>(q);
  }

  static Map<String, Object> stamp(PeerIdentity id) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pid", id.process().map(p -> p.pid()));
    m.put("uid", id.process().map(p -> p.uid()));
    m.put("path", id.executable().path());
    var signer = id.signature().signer();
    m.put("signer", signer.flatMap(s -> s.trustName()));
    m.put("keyId", signer.flatMap(s -> s.keyId()));
    m.put("subject", signer.flatMap(s -> s.subject()));
    return m;
  }
}
