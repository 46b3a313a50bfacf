package dev.peerid.broker;

import dev.peerid.PeerIdentity;
import dev.peerid.PeerVerificationException;
import dev.peerid.Policy;
import dev.peerid.Verdict;
import dev.peerid.VerdictJson;
import dev.peerid.netty.PeerAuthenticationEvent;
import dev.peerid.netty.PeerAuthenticationHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The broker's HTTP routes, behind the peer authentication handler: every request comes from a
 * peer the connection policy allowed. Each request first re-validates the peer (same live process,
 * same executable), then applies the route's and the topic's policies.
 *
 * <p>One request at a time per connection: the channel does not read by itself ({@code AUTO_READ}
 * off, a {@code FlowControlHandler} before this one), and the next request is asked for only once
 * the reply to the previous one is written and the channel is writable again. A peer that pipelines
 * requests without reading the replies therefore gets nothing more read from it.
 */
final class BrokerHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final String TOPICS = "/topics/";

  private final AccessRules rules;
  private final Topics topics;
  private final RequestTimeouts timeouts;
  private Verdict connectionVerdict;
  private boolean readWhenWritable;
  private boolean awaitingRequest;

  BrokerHandler(AccessRules rules, Topics topics, RequestTimeouts timeouts) {
    this.rules = rules;
    this.topics = topics;
    this.timeouts = timeouts;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof PeerAuthenticationEvent e && e.isSuccess()) {
      connectionVerdict = e.verdict();
      readNext(ctx); // the first request
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (readWhenWritable && ctx.channel().isWritable()) {
      readWhenWritable = false;
      readNext(ctx);
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** The reply is written: ask for the next request once the peer has taken what is buffered. */
  private void replied(ChannelHandlerContext ctx) {
    timeouts.replyWritten();
    if (ctx.channel().isWritable()) {
      readNext(ctx);
    } else {
      readWhenWritable = true;
    }
  }

  private void readNext(ChannelHandlerContext ctx) {
    awaitingRequest = true;
    ctx.read();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // a read that brought only part of a request satisfies the FlowControlHandler's demand: ask again
    if (awaitingRequest) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    awaitingRequest = false;
    timeouts.requestReceived();
    PeerIdentity peer = PeerAuthenticationHandler.identity(ctx.channel());
    if (peer == null || connectionVerdict == null) {
      // cannot happen behind the handler; fail closed if the pipeline was assembled wrongly
      respond(ctx, req, HttpResponseStatus.FORBIDDEN, error("the peer was not authenticated", List.of()), true);
      return;
    }
    try {
      PeerAuthenticationHandler.revalidate(ctx.channel());
    } catch (PeerVerificationException e) {
      respond(ctx, req, HttpResponseStatus.FORBIDDEN,
          error("the peer changed since it was verified", List.of(e.getMessage())), true);
      return;
    }
    String path = new io.netty.handler.codec.http.QueryStringDecoder(req.uri()).path();
    HttpMethod method = req.method();
    Optional<Policy> routePolicy = rules.route(method.name(), path);
    if (routePolicy.isPresent()) {
      Verdict v = routePolicy.get().evaluate(peer);
      if (!v.isAllowed()) {
        respond(ctx, req, HttpResponseStatus.FORBIDDEN, error("route " + method + " " + path + " denied", v.reasons()),
            false);
        return;
      }
    }
    if (path.equals("/whoami") && method.equals(HttpMethod.GET)) {
      respond(ctx, req, HttpResponseStatus.OK, VerdictJson.toMap(connectionVerdict, null), false);
    } else if (path.startsWith(TOPICS)) {
      topic(ctx, req, peer, path.substring(TOPICS.length()));
    } else {
      respond(ctx, req, HttpResponseStatus.NOT_FOUND, error("no such route: " + method + " " + path, List.of()), false);
    }
  }

  private void topic(ChannelHandlerContext ctx, FullHttpRequest req, PeerIdentity peer, String name) {
    if (!Topics.isValidName(name)) {
      respond(ctx, req, HttpResponseStatus.BAD_REQUEST,
          error("bad topic name (letters, digits, . _ -; at most 64)", List.of()), false);
      return;
    }
    boolean publish = req.method().equals(HttpMethod.POST);
    if (!publish && !req.method().equals(HttpMethod.GET)) {
      respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, error("use GET or POST", List.of()), false);
      return;
    }
    Optional<Policy> policy = publish ? rules.publish(name) : rules.read(name);
    if (policy.isPresent()) {
      Verdict v = policy.get().evaluate(peer);
      if (!v.isAllowed()) {
        respond(ctx, req, HttpResponseStatus.FORBIDDEN,
            error((publish ? "publishing to " : "reading ") + "topic " + name + " denied", v.reasons()), false);
        return;
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("topic", name);
    if (publish) {
      Topics.Published p = topics.publish(name, req.content().toString(StandardCharsets.UTF_8), peer);
      if (p instanceof Topics.Refused r) {
        respond(ctx, req, r.storage() ? HttpResponseStatus.INSUFFICIENT_STORAGE : HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            error(r.reason(), List.of()), false);
        return;
      }
      body.put("seq", ((Topics.Stored) p).seq());
      respond(ctx, req, HttpResponseStatus.CREATED, body, false);
    } else {
      stream(ctx, req, new TopicReply(name, topics.recent(name)));
    }
  }

  private void stream(ChannelHandlerContext ctx, FullHttpRequest req, TopicReply reply) {
    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    res.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.length());
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ctx.write(res);
    finish(ctx, ctx.writeAndFlush(new HttpChunkedInput(reply)), keepAlive);
  }

  private void finish(ChannelHandlerContext ctx, ChannelFuture written, boolean keepAlive) {
    written.addListener(f -> {
      if (!f.isSuccess() || !keepAlive) {
        ctx.close();
      } else {
        replied(ctx);
      }
    });
  }

  static Map<String, Object> error(String message, List<String> reasons) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", message);
    m.put("reasons", reasons);
    return m;
  }

  private void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status,
      Map<String, Object> body, boolean close) {
    byte[] bytes = (VerdictJson.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    boolean keepAlive = !close && HttpUtil.isKeepAlive(req);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    finish(ctx, ctx.writeAndFlush(res), keepAlive);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
