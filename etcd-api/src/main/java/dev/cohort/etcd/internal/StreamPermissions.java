package dev.cohort.etcd.internal;

import dev.cohort.security.Access;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.Resource;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * What one open etcd stream (Watch, LeaseKeepAlive, Observe) is still allowed to hold, and the
 * call's one writer. A watch stream needs read on the key range of every watch it has open: a
 * create adds its range once the service answered {@code created} (creates are answered in order),
 * an answer with {@code canceled} removes it; other streams need what their first message needed.
 * {@link #decide} asks all of it at once (no watch open: only that the token is still valid).
 *
 * <p>{@link #call()} is the call the service writes to: its writes and closes are serialized with
 * {@link #cut}, which closes the call with etcd's status for a refusal; after a cut the service's
 * writes fail as on a call the client cancelled, so that it stops its watches and keep-alives.
 * Thread-safe.
 */
final class StreamPermissions<Q, A> {
  private final Guarded call;
  private final boolean watch;
  private final Queue<EtcdPermissions.Need> pendingCreates = new ArrayDeque<>();
  private final Map<Long, EtcdPermissions.Need> openWatches = new HashMap<>();
  private EtcdPermissions.Need fixed;
  private boolean cut;

  StreamPermissions(ServerCall<Q, A> call) {
    this.call = new Guarded(call);
    this.watch = call.getMethodDescriptor().getServiceName().endsWith(".Watch");
  }

  /** The call the service gets. */
  ServerCall<Q, A> call() {
    return call;
  }

  /** A request message was allowed with {@code need} and goes to the service. */
  synchronized void admitted(Q message, EtcdPermissions.Need need) {
    if (!watch) {
      if (fixed == null) {
        fixed = need;
      }
    } else if (((WatchRequest) message).hasCreateRequest()) {
      pendingCreates.add(need);
    }
  }

  /**
   * Asks {@code decide} (token, access, resources) for everything the stream holds; completes with
   * the first refusal, or "allowed".
   */
  CompletionStage<AuthDecision> decide(
      BiFunction<Access, List<Resource>, CompletionStage<AuthDecision>> decide) {
    Map<Access, List<Resource>> needs = new EnumMap<>(Access.class);
    synchronized (this) {
      List<EtcdPermissions.Need> held = new ArrayList<>(openWatches.values());
      held.addAll(pendingCreates);
      if (fixed != null) {
        held.add(fixed);
      }
      for (EtcdPermissions.Need need : held) {
        needs.computeIfAbsent(need.access(), a -> new ArrayList<>()).addAll(need.resources());
      }
    }
    if (needs.isEmpty()) {
      EtcdPermissions.Need any = EtcdPermissions.Need.anyUser();
      return decide.apply(any.access(), any.resources());
    }
    CompletableFuture<AuthDecision> result = CompletableFuture.completedFuture(null);
    for (Map.Entry<Access, List<Resource>> need : needs.entrySet()) {
      result =
          result.thenCompose(
              previous ->
                  previous != null && !previous.allowed()
                      ? CompletableFuture.completedFuture(previous)
                      : decide.apply(need.getKey(), need.getValue()).toCompletableFuture());
    }
    return result;
  }

  /** Closes the call with {@code status} unless it already ended; true when this closed it. */
  boolean cut(Status status) {
    synchronized (call) {
      synchronized (this) {
        if (cut || call.closed) {
          return false;
        }
        cut = true;
      }
      call.closeNow(status);
      return true;
    }
  }

  /** Whether the stream was cut: the service must then be told the call is gone. */
  synchronized boolean wasCut() {
    return cut;
  }

  private synchronized void answered(WatchResponse response) {
    if (response.getCreated()) {
      EtcdPermissions.Need need = pendingCreates.poll();
      if (need != null && !response.getCanceled()) {
        openWatches.put(response.getWatchId(), need);
      }
    } else if (response.getCanceled()) {
      openWatches.remove(response.getWatchId());
    }
  }

  /** The service's writes and closes, serialized with {@link #cut}. */
  private final class Guarded extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
    private boolean closed;

    Guarded(ServerCall<Q, A> delegate) {
      super(delegate);
    }

    @Override
    public synchronized void sendMessage(A message) {
      if (closed) {
        throw Status.CANCELLED
            .withDescription("the stream was closed: its token or permission is no longer valid")
            .asRuntimeException();
      }
      if (watch) {
        answered((WatchResponse) message);
      }
      super.sendMessage(message);
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }

    private void closeNow(Status status) {
      close(status, new Metadata());
    }
  }
}
