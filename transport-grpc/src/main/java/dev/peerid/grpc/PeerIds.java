package dev.peerid.grpc;

import dev.peerid.PeerIdentity;
import dev.peerid.Policy;
import dev.peerid.Verdict;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.ServerInterceptor;
import java.util.Map;

/**
 * The verified peer of the current gRPC call. {@link #interceptor()} puts the connection's verdict
 * in the call's {@link Context}; {@link #current()} reads it there, in the service method and on
 * any thread the context was carried to.
 */
public final class PeerIds {
  /** The connection's verdict, set by the negotiator of {@link PeerIdGrpc}. */
  static final Attributes.Key<Verdict> VERDICT = Attributes.Key.create("dev.peerid.grpc.verdict");
  static final Context.Key<Verdict> CONTEXT = Context.key("dev.peerid.grpc.verdict");

  private PeerIds() {}

  /**
   * The verified identity of the current call's peer.
   *
   * @throws IllegalStateException outside a call that went through {@link #interceptor()}
   */
  public static PeerIdentity current() {
    return currentVerdict().identity().orElseThrow();
  }

  /**
   * The verdict that allowed the current call's connection (for {@code VerdictJson}, audit logs).
   *
   * @throws IllegalStateException outside a call that went through {@link #interceptor()}
   */
  public static Verdict currentVerdict() {
    Verdict v = CONTEXT.get();
    if (v == null) {
      throw new IllegalStateException("no peerid identity in this gRPC context: intercept the service with "
          + "PeerIds.interceptor() on a server built with PeerIdGrpc.serverCredentials(...)");
    }
    return v;
  }

  /**
   * Makes {@link #current()} work in every call; refuses, with {@code UNAUTHENTICATED}, a call on
   * a connection peerid did not verify (a server built without {@link PeerIdGrpc}'s credentials).
   */
  public static ServerInterceptor interceptor() {
    return new PeerIdInterceptor(Map.of());
  }

  /**
   * Like {@link #interceptor()}, and also refuses, with {@code PERMISSION_DENIED} and the reasons,
   * a call to a method whose policy (by full method name, {@code "package.Service/Method"}) the
   * peer does not meet. Methods not named are allowed to every peer the connection policy allowed.
   */
  public static ServerInterceptor interceptor(Map<String, Policy> methodPolicies) {
    return new PeerIdInterceptor(Map.copyOf(methodPolicies));
  }
}
