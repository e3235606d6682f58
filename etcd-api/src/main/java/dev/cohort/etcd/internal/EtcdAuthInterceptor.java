package dev.cohort.etcd.internal;

import dev.cohort.security.Audit;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.PermissionWatch;
import dev.cohort.security.Security;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The etcd listener's permission check, as etcd does it: the token from {@code Auth/Authenticate}
 * travels in the gRPC metadata {@code token}, and every request message (each of a stream's too) is
 * checked against the user's roles for the key range it touches ({@link EtcdPermissions}) before
 * the service sees it. A refusal closes the call with etcd's status and message (no token: {@code
 * user name is empty}; an unknown, revoked or expired one: {@code invalid auth token}, which makes
 * etcd clients authenticate again; not permitted: {@code permission denied}) and is audited. The
 * check normally answers from the node's copy of the security state at once; it blocks the call's
 * executor thread at most {@code ask-timeout} when the copy is being refreshed. An open stream
 * (Watch, LeaseKeepAlive, Observe) is checked again every {@code stream-check-interval} for what it
 * still holds ({@link StreamPermissions}: the key ranges of its open watches) and closed with the
 * same statuses once its token is revoked or expires or its permission goes; the service then sees
 * it cancelled and stops its kv watches and keep-alives.
 */
public final class EtcdAuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

  /** The caller's address, for the rate limit of {@code Authenticate}. */
  static final Context.Key<String> SOURCE = Context.key("cohort-source");

  private static final String LISTENER = "etcd";

  private final Security security;
  private final Audit audit;
  private final String keyspace;
  private final Duration timeout;
  private final Duration checkInterval;

  public EtcdAuthInterceptor(
      Security security, Audit audit, String keyspace, Duration timeout, Duration checkInterval) {
    this.security = security;
    this.audit = audit;
    this.keyspace = keyspace;
    this.timeout = timeout;
    this.checkInterval = checkInterval;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String service = String.valueOf(call.getMethodDescriptor().getServiceName());
    String method = call.getMethodDescriptor().getBareMethodName();
    String source = source(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    Context context = Context.current().withValue(SOURCE, source);
    if (EtcdPermissions.open(service, String.valueOf(method))) {
      return Contexts.interceptCall(context, call, headers, next);
    }
    StreamPermissions<Q, A> stream = new StreamPermissions<>(call);
    ServerCall.Listener<Q> delegate = Contexts.interceptCall(context, stream.call(), headers, next);
    Optional<String> token = Optional.ofNullable(headers.get(TOKEN));
    boolean open = call.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY;
    String name = service + "/" + method;
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(delegate) {
      private PermissionWatch watch;

      @Override
      public void onMessage(Q message) {
        if (stream.wasCut()) {
          return;
        }
        EtcdPermissions.Need need =
            EtcdPermissions.of(keyspace, service, String.valueOf(method), message);
        AuthDecision decision = decide(token, need);
        if (!decision.allowed()) {
          refuse(
              stream, decision, source, name + " " + need.access().text() + " " + need.resources());
          return;
        }
        stream.admitted(message, need);
        if (open && watch == null && !decision.user().isEmpty()) {
          watch =
              PermissionWatch.start(
                  checkInterval,
                  () ->
                      stream.decide(
                          (access, resources) -> security.decide(token, access, resources)));
          watch
              .refused()
              .thenAccept(refusal -> refuse(stream, refusal, source, name + " (open stream)"));
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!stream.wasCut()) {
          super.onHalfClose();
        }
      }

      @Override
      public void onComplete() {
        stopWatch();
        if (stream.wasCut()) {
          // the service still holds the stream: it ends as if the client had cancelled it
          super.onCancel();
        } else {
          super.onComplete();
        }
      }

      @Override
      public void onCancel() {
        stopWatch();
        super.onCancel();
      }

      private void stopWatch() {
        if (watch != null) {
          watch.stop();
        }
      }
    };
  }

  /** Closes the call with etcd's status for {@code decision}, audited (once). */
  private void refuse(
      StreamPermissions<?, ?> stream, AuthDecision decision, String source, String what) {
    if (!stream.cut(status(decision))) {
      return;
    }
    if (decision.outcome() == AuthDecision.Outcome.DENIED) {
      audit.denied(decision.user(), source, LISTENER, what);
    } else {
      audit.authFailure(decision.reason(), "", source, LISTENER, what);
    }
  }

  private AuthDecision decide(Optional<String> token, EtcdPermissions.Need need) {
    try {
      return security
          .decide(token, need.access(), need.resources())
          .toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN);
    } catch (Exception e) {
      return AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN);
    }
  }

  private static Status status(AuthDecision decision) {
    return switch (decision.outcome()) {
      case DENIED -> Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied");
      case UNAUTHENTICATED ->
          AuthDecision.MISSING_TOKEN.equals(decision.reason())
              ? Status.INVALID_ARGUMENT.withDescription("etcdserver: user name is empty")
              : Status.UNAUTHENTICATED.withDescription("etcdserver: invalid auth token");
      case ALLOWED -> Status.OK;
    };
  }

  private static String source(SocketAddress address) {
    return address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress()
        : "unknown";
  }
}
