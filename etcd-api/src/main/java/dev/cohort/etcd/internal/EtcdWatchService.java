package dev.cohort.etcd.internal;

import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.stub.StreamObserver;

/** etcd's {@code Watch} service: every call is one {@link WatchStream}. Thread-safe. */
public final class EtcdWatchService extends WatchGrpc.WatchImplBase {
  private final EtcdStore store;
  private final CompactionFloor floor;

  public EtcdWatchService(EtcdStore store) {
    this.store = store;
    this.floor = new CompactionFloor(store.kv(), store.keyspaceName());
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    return new WatchStream(store, floor, responses);
  }
}
