package dev.peerid.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The body of {@code GET /topics/NAME}, {@code {"topic":"NAME","messages":[…]}}, streamed one stored
 * message at a time: {@code ChunkedWriteHandler} asks for the next chunk only while the channel is
 * writable, so a peer that reads slowly (or not at all) holds at most one chunk and the socket's
 * buffers, not the whole reply. The messages are the stored JSON bytes, wrapped, not copied.
 */
final class TopicReply implements ChunkedInput<ByteBuf> {
  private final byte[] head;
  private final List<byte[]> messages;
  private static final byte[] TAIL = "]}\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COMMA = {','};
  private final long length;
  private int next = -1;
  private long sent;

  TopicReply(String topic, List<byte[]> messages) {
    // the name is letters, digits and . _ - only (Topics.isValidName): nothing to escape
    this.head = ("{\"topic\":\"" + topic + "\",\"messages\":[").getBytes(StandardCharsets.US_ASCII);
    this.messages = messages;
    long n = head.length + TAIL.length + Math.max(0, messages.size() - 1);
    for (byte[] m : messages) {
      n += m.length;
    }
    this.length = n;
  }

  @Override
  public boolean isEndOfInput() {
    return next > messages.size();
  }

  @Override
  public void close() {
    // nothing held but references to stored messages
  }

  @Deprecated
  @Override
  public ByteBuf readChunk(ChannelHandlerContext ctx) {
    return readChunk(ctx.alloc());
  }

  @Override
  public ByteBuf readChunk(ByteBufAllocator allocator) {
    ByteBuf chunk;
    if (next < 0) {
      chunk = Unpooled.wrappedBuffer(head);
    } else if (next < messages.size()) {
      chunk = next == 0 ? Unpooled.wrappedBuffer(messages.get(0))
          : Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(COMMA), Unpooled.wrappedBuffer(messages.get(next)));
    } else if (next == messages.size()) {
      chunk = Unpooled.wrappedBuffer(TAIL);
    } else {
      return null;
    }
    next++;
    sent += chunk.readableBytes();
    return chunk;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public long progress() {
    return sent;
  }
}
