package dev.peerid.grpc;

import dev.peerid.netty.PeerAuthentication;
import dev.peerid.netty.PeerAuthenticationEvent;
import io.grpc.Attributes;
import io.grpc.ServerCredentials;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.ProtocolNegotiationEvent;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AsciiString;

/**
 * The one place that uses grpc-netty's {@code Internal*} API, which gRPC may change in any release
 * (the version is pinned in the parent pom; {@code GrpcNettyHookTest} fails when an upgrade
 * breaks this). gRPC hides each connection's Netty channel from applications; its protocol
 * negotiator is the one hook that sees the channel before the HTTP/2 handler is installed.
 *
 * <p>Each connection's pipeline becomes {@code RefusalLinger, PeerAuthenticationHandler, Gate}: the Gate holds
 * gRPC's own plaintext negotiation, and with it the HTTP/2 handler, until the peer is allowed.
 * A denied peer's channel is closed by the authentication handler before gRPC has installed
 * anything that could read a frame, so no call of it is ever dispatched.
 */
final class GrpcNettyHook {
  private GrpcNettyHook() {}

  static ServerCredentials credentials(PeerAuthentication auth) {
    return InternalNettyServerCredentials.create(new Negotiator(auth));
  }

  private static final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private final PeerAuthentication auth;
    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();

    Negotiator(PeerAuthentication auth) {
      this.auth = auth;
    }

    @Override
    public AsciiString scheme() {
      return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      return new Gate(auth, plaintext.newHandler(grpcHandler), grpcHandler);
    }

    @Override
    public void close() {
      plaintext.close();
    }
  }

  /**
   * Waits for both gRPC's negotiation event and peerid's allow, then adds the verdict to the
   * connection's attributes and hands over to gRPC's plaintext negotiation.
   */
  private static final class Gate extends InternalProtocolNegotiators.ProtocolNegotiationHandler {
    private final PeerAuthentication auth;
    private final RefusalLinger linger = new RefusalLinger();
    private boolean negotiationStarted;
    private PeerAuthenticationEvent allowed;

    Gate(PeerAuthentication auth, ChannelHandler next, GrpcHttp2ConnectionHandler grpcHandler) {
      super(next, "peerid", grpcHandler.getNegotiationLogger());
      this.auth = auth;
    }

    @Override
    protected void handlerAdded0(ChannelHandlerContext ctx) throws Exception {
      ctx.pipeline().addBefore(ctx.name(), null, auth.newHandler());
      ctx.pipeline().addFirst(linger);
      super.handlerAdded0(ctx);
    }

    @Override
    protected void protocolNegotiationEventTriggered(ChannelHandlerContext ctx) {
      negotiationStarted = true;
      handOver(ctx);
    }

    @Override
    protected void userEventTriggered0(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof PeerAuthenticationEvent e) {
        if (e.isSuccess()) {
          allowed = e;
          ctx.pipeline().remove(linger);
          handOver(ctx);
        } else {
          linger.arm(); // the authentication handler closes the channel next: let the client read why
        }
      }
      super.userEventTriggered0(ctx, evt);
    }

    private void handOver(ChannelHandlerContext ctx) {
      if (!negotiationStarted || allowed == null) {
        return;
      }
      ProtocolNegotiationEvent pne = getProtocolNegotiationEvent();
      Attributes attrs = InternalProtocolNegotiationEvent.getAttributes(pne).toBuilder()
          .set(PeerIds.VERDICT, allowed.verdict())
          .build();
      replaceProtocolNegotiationEvent(InternalProtocolNegotiationEvent.withAttributes(pne, attrs));
      fireProtocolNegotiationEvent(ctx);
    }
  }
}
