package dev.peerid.grpc;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A grpc-java client in the test's own JVM (a java process: an interpreter to peerid). */
final class InProcessClient implements AutoCloseable {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final Path socket;

  InProcessClient(Path socket) {
    this.socket = socket;
  }

  /** One call on a connection of its own, closed afterwards. */
  String call(String method) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    try {
      byte[] reply = ClientCalls.blockingUnaryCall(channel, TestServer.method(method),
          CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), new byte[0]);
      return new String(reply, StandardCharsets.UTF_8);
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
  }
}
