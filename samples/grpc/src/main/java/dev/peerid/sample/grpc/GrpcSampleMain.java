package dev.peerid.sample.grpc;

import dev.peerid.Policy;
import dev.peerid.PolicyParseException;
import dev.peerid.TrustStore;
import dev.peerid.TrustStoreException;
import dev.peerid.sample.grpc.IdentityProto.WhoAmIRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code grpc-sample serve --socket PATH [--trust [NAME=]PATH]... [--trust-tsa [NAME=]PATH]... [--revoke VALUE]...
 * [--policy EXPR]}
 * and {@code grpc-sample whoami --socket PATH} (a grpc-java client, for trying it out).
 */
public final class GrpcSampleMain {
  static final String USAGE = String.join("\n",
      "usage: java -jar grpc-sample.jar serve --socket PATH [--trust [NAME=]PATH]... [--trust-tsa [NAME=]PATH]...",
      "                                      [--revoke VALUE]... [--policy EXPR]",
      "       java -jar grpc-sample.jar whoami --socket PATH",
      "",
      "serve   serves peerid.sample.v1.Identity/WhoAmI on a Unix socket (mode 0600) to peers the policy allows",
      "        --trust   a trusted certificate or public key (PEM/DER, file or directory), named NAME",
      "        --trust-tsa  a trusted timestamp authority for Authenticode timestamps (never a publisher)",
      "        --revoke  sha256:<certificate fingerprint>, an 8-hex-digit IMA key id, or a key/cert file",
      "        --policy  who may connect, in the peerid policy language (default: signed)",
      "whoami  calls WhoAmI with grpc-java and prints the JSON answer (a JVM is an interpreter to peerid:",
      "        the server's policy must opt in to interpreters for it to be allowed)");

  /** Kept: java.util.logging holds loggers weakly, and the level would be lost with it. */
  private static final java.util.logging.Logger BOOTSTRAP_LOG =
      java.util.logging.Logger.getLogger("io.netty.bootstrap.AbstractBootstrap");

  private GrpcSampleMain() {}

  public static void main(String[] args) throws Exception {
    // gRPC asks every channel for SO_KEEPALIVE, which a Unix socket has not: Netty warns each time
    BOOTSTRAP_LOG.setLevel(java.util.logging.Level.SEVERE);
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      (args.length == 0 ? err : out).println(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    List<String> rest = List.of(args).subList(1, args.length);
    try {
      switch (args[0]) {
        case "serve" -> {
          return serve(rest, out, err);
        }
        case "whoami" -> {
          return whoami(socketOnly(rest), out, err);
        }
        default -> throw new UsageException("unknown command '" + args[0] + "'");
      }
    } catch (UsageException e) {
      err.println("grpc-sample: " + e.getMessage() + "\n" + USAGE);
      return 2;
    }
  }

  private static int serve(List<String> args, PrintStream out, PrintStream err) throws Exception {
    Path socket = null;
    TrustStore.Builder trust = TrustStore.builder();
    boolean anyTrust = false;
    String policyText = "signed";
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--socket" -> socket = Path.of(value(args, ++i, a));
        case "--trust" -> {
          try {
            trust.trust(value(args, ++i, a));
          } catch (TrustStoreException e) {
            throw new UsageException("--trust: " + e.getMessage());
          }
          anyTrust = true;
        }
        case "--trust-tsa" -> {
          try {
            trust.trustTimestampAuthority(value(args, ++i, a));
          } catch (TrustStoreException e) {
            throw new UsageException("--trust-tsa: " + e.getMessage());
          }
        }
        case "--revoke" -> {
          try {
            trust.revoke(value(args, ++i, a));
          } catch (TrustStoreException | IllegalArgumentException e) {
            throw new UsageException("--revoke: " + e.getMessage());
          }
        }
        case "--policy" -> policyText = value(args, ++i, a);
        default -> throw new UsageException("unknown option '" + a + "'");
      }
    }
    if (socket == null) {
      throw new UsageException("--socket PATH is required");
    }
    Policy policy;
    try {
      policy = Policy.parse(policyText);
    } catch (PolicyParseException e) {
      throw new UsageException("--policy: " + e.getMessage());
    }
    if (!anyTrust) {
      err.println("grpc-sample: warning: no --trust given, so no signature is trusted");
    }
    GrpcSample sample;
    try {
      sample = new GrpcSample(socket, trust.build(), policy);
    } catch (java.io.IOException e) {
      err.println("grpc-sample: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        sample.close();
      } catch (Exception e) {
        err.println("grpc-sample: " + e.getMessage());
      }
    }, "grpc-sample-shutdown"));
    out.println("grpc-sample: listening on " + sample.socket() + " (policy: " + policy.text() + ")");
    out.flush();
    sample.awaitTermination();
    return 0;
  }

  private static int whoami(Path socket, PrintStream out, PrintStream err) throws InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toFile()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    try {
      out.println(ClientCalls.blockingUnaryCall(channel, IdentityProto.WHO_AM_I_METHOD,
          CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), new WhoAmIRequest()).json());
      return 0;
    } catch (StatusRuntimeException e) {
      err.println("grpc-sample: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private static Path socketOnly(List<String> args) throws UsageException {
    if (args.size() != 2 || !args.get(0).equals("--socket")) {
      throw new UsageException("whoami takes --socket PATH");
    }
    return Path.of(args.get(1));
  }

  private static String value(List<String> args, int i, String option) throws UsageException {
    if (i >= args.size()) {
      throw new UsageException(option + " needs a value");
    }
    return args.get(i);
  }

  /** A command-line mistake: printed with the usage, exit status 2. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }
}
