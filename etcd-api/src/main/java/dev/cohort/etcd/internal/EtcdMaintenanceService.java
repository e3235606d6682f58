package dev.cohort.etcd.internal;

import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's {@code Maintenance} service, Status and Alarm only (defragment, hash, snapshot and move
 * leader answer UNIMPLEMENTED: Cohort has no such operations). Status maps etcd's fields honestly:
 * {@code version} is {@code cohort.etcd.version} (the etcd API followed); {@code dbSize} and {@code
 * dbSizeInUse} are the served keyspace's bytes of keys and values; {@code leader} is this member
 * (every node serves every request; the single writer is the keyspace's partition entity, wherever
 * sharding put it); {@code raftIndex} and {@code raftAppliedIndex} are the store revision (Cohort
 * has no Raft log; the revision counts the applied writes of the keyspace); {@code raftTerm} is 1.
 * Alarm always answers an empty list: there is no space quota. Stateless.
 */
public final class EtcdMaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  private final EtcdStore store;

  public EtcdMaintenanceService(EtcdStore store) {
    this.store = store;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
    Async.answer(
        observer,
        () ->
            store
                .keyspace()
                .thenCompose(
                    info ->
                        store
                            .kv()
                            .keyspaceStats(store.keyspaceName())
                            .thenApply(
                                stats -> {
                                  long revision = store.revisionOf(info, stats.token());
                                  return StatusResponse.newBuilder()
                                      .setHeader(store.header(revision))
                                      .setVersion(store.settings().version())
                                      .setDbSize(stats.bytes())
                                      .setDbSizeInUse(stats.bytes())
                                      .setLeader(store.memberId())
                                      .setRaftIndex(revision)
                                      .setRaftAppliedIndex(revision)
                                      .setRaftTerm(1)
                                      .build();
                                })));
  }

  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> observer) {
    Async.answer(
        observer,
        () ->
            CompletableFuture.completedFuture(
                AlarmResponse.newBuilder().setHeader(store.header()).build()));
  }
}
