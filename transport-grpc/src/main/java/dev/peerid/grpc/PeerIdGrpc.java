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
    return serverCredentials(authentication(verifier).build());
  }

  /**
   * Options to change (limits, timeout, re-validation) before {@link #serverCredentials(PeerAuthentication)}:
   * {@link PeerAuthentication}'s defaults, with the GOAWAY refusal as the responder.
   */
  public static PeerAuthentication.Builder authentication(PeerVerifier verifier) {
    return PeerAuthentication.builder(Objects.requireNonNull(verifier, "verifier")).responder(GrpcRefusal.INSTANCE);
  }

  /**
   * Credentials with these options. Made with {@link PeerAuthentication#builder} instead of
   * {@link #authentication}, they write nothing to a denied client unless given a responder.
   */
  public static ServerCredentials serverCredentials(PeerAuthentication auth) {
    return GrpcNettyHook.credentials(Objects.requireNonNull(auth, "auth"));
  }
}
