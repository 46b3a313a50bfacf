package dev.peerid.grpc;

import dev.peerid.netty.DenialResponder;
import dev.peerid.netty.PeerAuthenticationEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * What a denied gRPC client reads before the connection closes: the server's HTTP/2 preface (an
 * empty SETTINGS frame) and a GOAWAY with the error INADEQUATE_SECURITY, which gRPC clients map to
 * {@code PERMISSION_DENIED}, and the reasons as its debug data (grpc-java shows them in the
 * status). Written raw: the authentication handler sits below the HTTP/2 codec.
 */
final class GrpcRefusal implements DenialResponder {
  static final GrpcRefusal INSTANCE = new GrpcRefusal();
  private static final int SETTINGS = 0x4;
  private static final int GOAWAY = 0x7;
  private static final int INADEQUATE_SECURITY = 0xc;
  /** The reasons are for a person reading a log: a few lines, never a large frame. */
  static final int MAX_DEBUG_BYTES = 2048;

  private GrpcRefusal() {}

  @Override
  public ByteBuf refusal(ByteBufAllocator alloc, PeerAuthenticationEvent event) {
    byte[] debug = ("peerid: " + String.join("; ", event.reasons())).getBytes(StandardCharsets.UTF_8);
    int debugLength = Math.min(debug.length, MAX_DEBUG_BYTES);
    ByteBuf out = alloc.buffer(9 + 9 + 8 + debugLength);
    frameHeader(out, 0, SETTINGS);
    frameHeader(out, 8 + debugLength, GOAWAY);
    // "streams up to the largest id may have been processed": a client then fails its call with the
    // status of the error code (grpc-java: PERMISSION_DENIED) instead of retrying it transparently
    // on a new connection, as it does for a stream a GOAWAY says was never processed
    out.writeInt(Integer.MAX_VALUE);
    out.writeInt(INADEQUATE_SECURITY);
    out.writeBytes(debug, 0, debugLength);
    return out;
  }

  private static void frameHeader(ByteBuf out, int length, int type) {
    out.writeMedium(length);
    out.writeByte(type);
    out.writeByte(0); // flags
    out.writeInt(0); // stream 0: the connection
  }
}
