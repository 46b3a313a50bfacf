package dev.peerid.sample.grpc;

import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import dev.peerid.TrustStore;
import dev.peerid.VerdictJson;
import dev.peerid.grpc.PeerIdGrpc;
import dev.peerid.grpc.PeerIds;
import dev.peerid.sample.grpc.IdentityProto.WhoAmIResponse;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The sample server: {@code peerid.sample.v1.Identity/WhoAmI} on a Unix socket, epoll transport. */
final class GrpcSample implements AutoCloseable {
  private final Path socket;
  private final PeerVerifier verifier;
  private final EventLoopGroup group;
  private final Server server;
  /** Calls that reached the service method (for tests). */
  final AtomicInteger served = new AtomicInteger();

  GrpcSample(Path socket, TrustStore trust, Policy policy) throws IOException {
    this.socket = socket.toAbsolutePath();
    if (Files.exists(this.socket, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(this.socket + " already exists; remove it if no server uses it");
    }
    verifier = PeerVerifier.builder().trustStore(trust).policy(policy).build();
    group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
    // bound under a temporary name, made 0600, then moved into place: never reachable with the
    // umask's permissions
    Path temp = this.socket.resolveSibling("." + this.socket.getFileName() + "." + ProcessHandle.current().pid());
    try {
      server = NettyServerBuilder.forAddress(new DomainSocketAddress(temp.toFile()), credentials(verifier))
          .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(group).workerEventLoopGroup(group)
          .addService(ServerInterceptors.intercept(service(), PeerIds.interceptor()))
          .build().start();
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      Files.move(temp, this.socket, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      verifier.close();
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /** Like the broker: a first verification of a large client may take a while on a busy machine. */
  private static io.grpc.ServerCredentials credentials(PeerVerifier verifier) {
    return PeerIdGrpc.serverCredentials(PeerIdGrpc.authentication(verifier).timeout(Duration.ofSeconds(10)).build());
  }

  private ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(IdentityProto.SERVICE)
        .addMethod(IdentityProto.WHO_AM_I_METHOD, ServerCalls.asyncUnaryCall((request, response) -> {
          served.incrementAndGet();
          response.onNext(new WhoAmIResponse(VerdictJson.toJson(PeerIds.currentVerdict())));
          response.onCompleted();
        }))
        .build();
  }

  Path socket() {
    return socket;
  }

  void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
    verifier.close();
    Files.deleteIfExists(socket);
  }
}
