package dev.peerid.grpc;

import dev.peerid.Policy;
import dev.peerid.Verdict;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;

/** Carries the connection's verdict into each call, and applies the per-method policies. */
final class PeerIdInterceptor implements ServerInterceptor {
  private final Map<String, Policy> methodPolicies;

  PeerIdInterceptor(Map<String, Policy> methodPolicies) {
    this.methodPolicies = methodPolicies;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Verdict connection = call.getAttributes().get(PeerIds.VERDICT);
    if (connection == null || !connection.isAllowed() || connection.identity().isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("peerid: this connection's peer was not "
          + "verified: build the server with PeerIdGrpc.serverCredentials(...)"));
    }
    String method = call.getMethodDescriptor().getFullMethodName();
    Policy policy = methodPolicies.get(method);
    if (policy != null) {
      Verdict v = policy.evaluate(connection.identity().get());
      if (!v.isAllowed()) {
        return refuse(call, Status.PERMISSION_DENIED.withDescription("peerid: " + method + " denied: "
            + String.join("; ", v.reasons())));
      }
    }
    return Contexts.interceptCall(Context.current().withValue(PeerIds.CONTEXT, connection), call, headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
