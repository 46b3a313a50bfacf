package dev.peerid.broker;

import dev.peerid.PeerIdentity;
import dev.peerid.VerdictJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Recent messages per topic, each stamped with its publisher's verified identity. Bounded in what
 * the broker really holds: each message is kept as the bytes of its JSON object (escaped once, when
 * published; a read only concatenates them), and those bytes, plus a fixed overhead per message, are
 * counted against a budget per topic (the oldest messages of the topic go first) and a total
 * budget (past it a publish is refused, whatever the topic: no peer can push out another topic's
 * messages). At most {@code maxTopics} topics and {@code perTopic} messages each.
 */
final class Topics {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  /** What the broker holds per message besides its bytes (array and deque slot, the seq), rounded up. */
  static final int OVERHEAD = 64;

  /** The outcome of a publish. */
  sealed interface Published permits Stored, Refused {}

  record Stored(long seq) implements Published {}

  /** Refused: {@code storage} true when a budget is full (507), false when the message can never fit (413). */
  record Refused(boolean storage, String reason) implements Published {}

  private final int maxTopics;
  private final int perTopic;
  private final long maxTopicBytes;
  private final long maxTotalBytes;
  private final Map<String, Topic> topics = new HashMap<>();
  private long totalBytes;
  private long seq;

  private static final class Topic {
    final ArrayDeque<byte[]> messages = new ArrayDeque<>();
    long bytes;
  }

  Topics(int maxTopics, int perTopic, long maxTopicBytes, long maxTotalBytes) {
    this.maxTopics = maxTopics;
    this.perTopic = perTopic;
    this.maxTopicBytes = maxTopicBytes;
    this.maxTotalBytes = maxTotalBytes;
  }

  static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Stores a message (the body as UTF-8 text) and its publisher's stamp. */
  Published publish(String topic, String body, PeerIdentity publisher) {
    Map<String, Object> m = new LinkedHashMap<>();
    long mine;
    synchronized (this) {
      mine = ++seq;
    }
    m.put("seq", mine);
    m.put("time", Instant.now().toString());
    m.put("body", body);
    m.put("publisher", stamp(publisher));
    // escaped here, once, outside the lock; bounded by the request body limit
    byte[] json = VerdictJson.write(m).getBytes(StandardCharsets.UTF_8);
    return store(topic, json, mine);
  }

  private synchronized Published store(String name, byte[] json, long mine) {
    long size = (long) json.length + OVERHEAD;
    if (size > maxTopicBytes) {
      return new Refused(false, "the message takes " + size + " bytes as stored, more than a topic may hold ("
          + maxTopicBytes + ")");
    }
    Topic t = topics.get(name);
    if (t == null && topics.size() >= maxTopics) {
      return new Refused(true, "too many topics (limit " + maxTopics + ")");
    }
    // the oldest messages of this topic that must go to make room for the new one
    long freed = 0;
    int evict = 0;
    if (t != null) {
      var it = t.messages.iterator();
      while (it.hasNext() && (t.messages.size() - evict >= perTopic || t.bytes - freed + size > maxTopicBytes)) {
        freed += it.next().length + OVERHEAD;
        evict++;
      }
    }
    if (totalBytes - freed + size > maxTotalBytes) {
      return new Refused(true, "the broker's message store is full (" + totalBytes + " of " + maxTotalBytes
          + " bytes)");
    }
    if (t == null) {
      t = new Topic();
      topics.put(name, t);
    }
    for (int i = 0; i < evict; i++) {
      t.messages.removeFirst();
    }
    t.bytes -= freed;
    t.messages.addLast(json);
    t.bytes += size;
    totalBytes += size - freed;
    return new Stored(mine);
  }

  /** The topic's messages, oldest first, each the bytes of one JSON object (shared: do not modify). */
  synchronized List<byte[]> recent(String topic) {
    Topic t = topics.get(topic);
    return t == null ? List.of() : List.copyOf(t.messages);
  }

  /** Bytes held, as counted against the total budget. */
  synchronized long totalBytes() {
    return totalBytes;
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
