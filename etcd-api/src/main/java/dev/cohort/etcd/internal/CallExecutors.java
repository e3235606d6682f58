package dev.cohort.etcd.internal;

import dev.cohort.security.Security;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Where a call's callbacks run. The listener's default is the Netty event loop itself (no hand-off
 * to an executor per message): the services only start asynchronous kv calls and never block. The
 * one thing that blocks is the auth check ({@link EtcdAuthInterceptor} waits for the security
 * registry's answer when its cached copy is stale), so while auth is on, or this node does not know
 * yet whether it is, a call runs on the blocking executor instead, off the event loop.
 *
 * <p>Hazard: the choice is made when a call starts. A stream (Watch, LeaseKeepAlive, Observe)
 * opened while auth was off stays on the event loop. If auth is then turned on, a later message of
 * that stream whose check finds this node's copy of the security state stale waits on the event
 * loop for the registry's answer, at most {@code cohort.security.ask-timeout}. Why the default
 * executor was costly, and the figures: etcd-api README "Threads".
 *
 * <p>Thread-safe.
 */
public final class CallExecutors implements ServerCallExecutorSupplier {
  private final Security security;
  private final Executor blocking;

  public CallExecutors(Security security, Executor blocking) {
    this.security = security;
    this.blocking = blocking;
  }

  @Override
  public <Q, A> Executor getExecutor(ServerCall<Q, A> call, Metadata metadata) {
    CompletableFuture<Boolean> enabled = security.enabled().toCompletableFuture();
    boolean knownOff =
        enabled.isDone() && !enabled.isCompletedExceptionally() && !enabled.getNow(true);
    return knownOff ? null : blocking;
  }
}
