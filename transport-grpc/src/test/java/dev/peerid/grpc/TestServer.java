package dev.peerid.grpc;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerifier;
import dev.peerid.Policy;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A real gRPC server on a Unix socket with peerid's credentials and interceptor, serving
 * {@code peerid.test.Who/Ask} (answers "pid=PID exe=PATH" of the verified caller) and
 * {@code peerid.test.Who/Admin} (the same, behind a method policy). Counts the calls that reached
 * the service methods.
 */
final class TestServer implements AutoCloseable {
  enum Transport { EPOLL, NIO_JUNIXSOCKET, NIO_JDK }

  static final String ASK = "peerid.test.Who/Ask";
  static final String ADMIN = "peerid.test.Who/Admin";
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  final AtomicInteger served = new AtomicInteger();
  private final EventLoopGroup group;
  private final Server server;

  TestServer(Transport transport, Path socket, PeerVerifier verifier, Policy adminPolicy) throws IOException {
    NettyServerBuilder b;
    if (transport == Transport.EPOLL) {
      group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
      b = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toFile()), credentials(verifier))
          .channelType(EpollServerDomainSocketChannel.class);
    } else if (transport == Transport.NIO_JDK) {
      group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
      b = NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket), credentials(verifier))
          .channelType(NioServerDomainSocketChannel.class);
    } else {
      group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory(AFUNIXSelectorProvider.provider()));
      // bound before it is registered: junixsocket's selector reports an unbound socket as hung up
      AFUNIXServerSocketChannel bound = AFUNIXServerSocketChannel.open();
      bound.bind(AFUNIXSocketAddress.of(socket), 4096);
      b = NettyServerBuilder.forAddress(AFUNIXSocketAddress.of(socket), credentials(verifier))
          .channelFactory(() -> new NioServerSocketChannel(bound) {
            @Override
            protected void doBind(SocketAddress localAddress) {
              // already bound
            }
          });
    }
    server = b.bossEventLoopGroup(group).workerEventLoopGroup(group)
        .addService(ServerInterceptors.intercept(service(), PeerIds.interceptor(Map.of(ADMIN, adminPolicy))))
        .build().start();
  }

  /** A longer verification timeout than the default: the test machine may be loaded. */
  private static io.grpc.ServerCredentials credentials(PeerVerifier verifier) {
    return PeerIdGrpc.serverCredentials(PeerIdGrpc.authentication(verifier).timeout(Duration.ofSeconds(30)).build());
  }

  private ServerServiceDefinition service() {
    return ServerServiceDefinition.builder("peerid.test.Who")
        .addMethod(method(ASK), ServerCalls.asyncUnaryCall((req, out) -> {
          served.incrementAndGet();
          out.onNext(describe(PeerIds.current()));
          out.onCompleted();
        }))
        .addMethod(method(ADMIN), ServerCalls.asyncUnaryCall((req, out) -> {
          served.incrementAndGet();
          out.onNext(("admin " + new String(describe(PeerIds.current()), StandardCharsets.UTF_8))
              .getBytes(StandardCharsets.UTF_8));
          out.onCompleted();
        }))
        .build();
  }

  static MethodDescriptor<byte[], byte[]> method(String fullName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullName).setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  private static byte[] describe(PeerIdentity id) {
    return ("pid=" + id.process().orElseThrow().pid() + " exe=" + id.executable().path()).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
  }
}
