package dev.peerid.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;

/**
 * Writes a short refusal to a denied peer before its channel is closed. The bytes go straight to
 * the socket (the handler sits before any codec), so they must already be in the wire format the
 * client understands. Keep refusals short: the peer is not trusted, and the channel is closed as
 * soon as the write completes or fails.
 */
@FunctionalInterface
public interface DenialResponder {

  /** The bytes to send, or null to send nothing. Must not throw. */
  ByteBuf refusal(ByteBufAllocator alloc, PeerAuthenticationEvent event);

  /** Sends nothing: the channel is just closed (the default). */
  static DenialResponder none() {
    return (alloc, event) -> null;
  }

  /** Sends the UTF-8 text {@code format} returns for the event. */
  static DenialResponder text(Function<PeerAuthenticationEvent, String> format) {
    Objects.requireNonNull(format, "format");
    return (alloc, event) -> {
      String text = format.apply(event);
      return text == null ? null : alloc.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8));
    };
  }
}
