package dev.cohort.etcd.internal;

import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.etcd.jetcd.api.lock.UnlockResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code v3lock} service: Lock(name, lease) enters the key {@code <name>/<lease hex>} on the
 * client's lease and answers once it heads the queue (the lowest create revision, which is the
 * fencing token, as in kv's own locks); Unlock deletes the key. A waiter that gives up (client
 * cancelled, deadline) removes the key it entered. Stateless; thread-safe.
 */
public final class EtcdLockService extends LockGrpc.LockImplBase {
  private final EtcdStore store;
  private final KeyQueue queue;

  public EtcdLockService(EtcdStore store) {
    this.store = store;
    this.queue = new KeyQueue(store);
  }

  @Override
  public void lock(LockRequest request, StreamObserver<LockResponse> observer) {
    KeyQueue.Wait wait = Waits.forCurrentCall(store);
    Async.answer(observer, () -> lock(request, wait));
  }

  private CompletionStage<LockResponse> lock(LockRequest request, KeyQueue.Wait wait) {
    String name = EtcdStore.key(request.getName());
    if (request.getLease() == 0) {
      throw EtcdErrors.invalid("cohort: a lock needs the lease of the client's session");
    }
    String key = KeyQueue.keyOf(name, request.getLease());
    return store
        .keyspace()
        .thenCompose(
            info ->
                queue.acquire(name, key, new byte[0], request.getLease(), wait, e -> Async.done()))
        .thenCompose(entry -> store.currentRevision())
        .thenApply(
            now ->
                LockResponse.newBuilder()
                    .setHeader(store.header(now))
                    .setKey(EtcdStore.bytes(key))
                    .build());
  }

  @Override
  public void unlock(UnlockRequest request, StreamObserver<UnlockResponse> observer) {
    Async.answer(
        observer,
        () ->
            store
                .kv()
                .delete(store.keyspaceName(), EtcdStore.key(request.getKey()), false)
                .thenApply(
                    d ->
                        UnlockResponse.newBuilder()
                            .setHeader(
                                d.headers().isEmpty()
                                    ? store.header()
                                    : store.header(EtcdStore.revisionOf(d.headers())))
                            .build()));
  }
}
