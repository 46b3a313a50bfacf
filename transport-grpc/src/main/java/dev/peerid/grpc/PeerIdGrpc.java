package dev.peerid.grpc;

import dev.peerid.PeerVerifier;
import dev.peerid.netty.PeerAuthentication;
import io.grpc.ServerCredentials;
import java.util.Objects;

/**
 * gRPC-java servers on a Unix socket that authenticate every connection with peerid before any
 * of its calls is dispatched:
 *
 * <pre>{@code
 * Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(path), PeerIdGrpc.serverCredentials(verifier))
 *     .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(boss).workerEventLoopGroup(workers)
 *     .addService(ServerInterceptors.intercept(service, PeerIds.interceptor()))
 *     .build().start();
 * }</pre>
 *
 * <p>Works with grpc-netty (not grpc-netty-shaded, whose Netty is a private copy) on the channels
 * {@code PeerAuthenticationHandler} supports: epoll or kqueue domain sockets, NIO over
 * junixsocket's {@code AFUNIXSelectorProvider}, and Netty's JDK-based
 * {@code NioServerDomainSocketChannel}. For junixsocket, bind its server channel before gRPC
 * registers it (its selector reports an unbound socket as hung up) and skip Netty's own bind:
 * {@code .channelFactory(() -> new NioServerSocketChannel(bound) { protected void doBind(SocketAddress a) {} })}.
 * A denied connection is closed after a GOAWAY whose debug
 * data gives the reasons (a grpc-java client shows them in its status); the server logs them too.
 * In calls, {@link PeerIds#current()} gives the verified identity.
 */
public final class PeerIdGrpc {
  private PeerIdGrpc() {}

  /** Credentials with the default options of {@link PeerAuthentication}, refusing with a GOAWAY. */
  public static ServerCredentials serverCredentials(PeerVerifier verifier) {
    Objects.requireNonNull(verifier, "verifier");
    return serverCredentials(PeerAuthentication.builder(verifier).responder(GrpcRefusal.INSTANCE).build());
  }

  /**
   * Credentials with these options (limits, timeout, re-validation). Give them
   * {@code .responder(...)} of your own, or none: {@link #serverCredentials(PeerVerifier)} uses
   * the GOAWAY refusal.
   */
  public static ServerCredentials serverCredentials(PeerAuthentication auth) {
    return GrpcNettyHook.credentials(Objects.requireNonNull(auth, "auth"));
  }
}
