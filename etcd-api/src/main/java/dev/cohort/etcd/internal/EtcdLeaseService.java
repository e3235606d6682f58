package dev.cohort.etcd.internal;

import dev.cohort.etcd.internal.rpc.LeaseGrantRequest;
import dev.cohort.etcd.internal.rpc.LeaseGrantResponse;
import dev.cohort.etcd.internal.rpc.LeaseGrpc;
import dev.cohort.etcd.internal.rpc.LeaseKeepAliveRequest;
import dev.cohort.etcd.internal.rpc.LeaseKeepAliveResponse;
import dev.cohort.etcd.internal.rpc.LeaseLeasesRequest;
import dev.cohort.etcd.internal.rpc.LeaseLeasesResponse;
import dev.cohort.etcd.internal.rpc.LeaseRevokeRequest;
import dev.cohort.etcd.internal.rpc.LeaseRevokeResponse;
import dev.cohort.etcd.internal.rpc.LeaseStatus;
import dev.cohort.etcd.internal.rpc.LeaseTimeToLiveRequest;
import dev.cohort.etcd.internal.rpc.LeaseTimeToLiveResponse;
import dev.cohort.etcd.internal.rpc.ResponseHeader;
import dev.cohort.kv.KvError;
import dev.cohort.kv.LeaseInfo;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code Lease} service over kv's leases, which are cluster-wide (not per keyspace): Grant,
 * Revoke, the KeepAlive stream, TimeToLive (with the lease's keys in the served keyspace) and
 * Leases (every lease of the cluster: leases are not per keyspace). Differences from etcd: the
 * lease id is always chosen by Cohort (a request naming one is refused), a TTL below {@code
 * cohort.kv.lease.min-ttl} is raised to it as etcd raises it to its minimum, and a lease keeps its
 * remaining TTL across a node restart instead of being renewed.
 *
 * <p>Its messages and base are Cohort's own build of etcd's Lease service ({@code
 * dev.cohort.etcd.internal.rpc}, generated from jetcd-grpc's proto with {@code LeaseLeases} added:
 * etcd-api/pom.xml), not jetcd-grpc's classes, whose {@code LeaseGrpc} lacks {@code LeaseLeases}.
 * The wire format is etcd's either way. Stateless; thread-safe.
 */
public final class EtcdLeaseService extends LeaseGrpc.LeaseImplBase {
  private final EtcdStore store;

  public EtcdLeaseService(EtcdStore store) {
    this.store = store;
  }

  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> observer) {
    Async.answer(observer, () -> grant(request));
  }

  CompletionStage<LeaseGrantResponse> grant(LeaseGrantRequest request) {
    Duration max = store.kvSettings().leaseMaxTtl();
    if (request.getTTL() > max.toSeconds()) {
      throw EtcdErrors.leaseTtlTooLarge();
    }
    long ttl = Math.max(request.getTTL(), store.kvSettings().leaseMinTtl().toSeconds());
    return store
        .kv()
        .grantLease(request.getID(), Duration.ofSeconds(ttl))
        .thenApply(
            grant ->
                LeaseGrantResponse.newBuilder()
                    .setHeader(header())
                    .setID(grant.id())
                    .setTTL(grant.ttlSeconds())
                    .build());
  }

  @Override
  public void leaseLeases(
      LeaseLeasesRequest request, StreamObserver<LeaseLeasesResponse> observer) {
    Async.answer(
        observer,
        () ->
            store
                .kv()
                .leases()
                .thenApply(
                    ids -> {
                      LeaseLeasesResponse.Builder b =
                          LeaseLeasesResponse.newBuilder().setHeader(header());
                      ids.forEach(id -> b.addLeases(LeaseStatus.newBuilder().setID(id)));
                      return b.build();
                    }));
  }

  @Override
  public void leaseRevoke(
      LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> observer) {
    Async.answer(
        observer,
        () ->
            store
                .kv()
                .revokeLease(request.getID())
                .thenApply(v -> LeaseRevokeResponse.newBuilder().setHeader(header()).build()));
  }

  @Override
  public void leaseTimeToLive(
      LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> observer) {
    Async.answer(
        observer,
        () ->
            store
                .kv()
                .lease(request.getID())
                .handle(
                    (info, failure) -> {
                      if (failure != null) {
                        if (EtcdErrors.is(failure, KvError.LEASE_NOT_FOUND)) {
                          // etcd answers a missing lease with TTL -1, not an error (etcdctl:
                          // "already expired").
                          return LeaseTimeToLiveResponse.newBuilder()
                              .setHeader(header())
                              .setID(request.getID())
                              .setTTL(-1)
                              .build();
                        }
                        throw EtcdErrors.of(failure);
                      }
                      return timeToLive(info, request.getKeys());
                    }));
  }

  private LeaseTimeToLiveResponse timeToLive(LeaseInfo info, boolean withKeys) {
    LeaseTimeToLiveResponse.Builder b =
        LeaseTimeToLiveResponse.newBuilder()
            .setHeader(header())
            .setID(info.id())
            .setTTL(info.remainingSeconds())
            .setGrantedTTL(info.grantedTtlSeconds());
    if (withKeys) {
      for (LeaseInfo.LeaseKey key : info.keys()) {
        if (key.keyspace().equals(store.keyspaceName())) {
          b.addKeys(EtcdStore.bytes(key.key()));
        }
      }
    }
    return b.build();
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
      StreamObserver<LeaseKeepAliveResponse> responses) {
    SerializedObserver<LeaseKeepAliveResponse> out = store.stream(responses);
    return new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveRequest request) {
        store
            .kv()
            .keepAlive(request.getID())
            .whenComplete(
                (info, failure) -> {
                  LeaseKeepAliveResponse.Builder b =
                      LeaseKeepAliveResponse.newBuilder()
                          .setHeader(header())
                          .setID(request.getID());
                  if (failure == null) {
                    b.setTTL(info.remainingSeconds());
                  } else if (!EtcdErrors.is(failure, KvError.LEASE_NOT_FOUND)) {
                    out.fail(failure);
                    return;
                  }
                  // etcd answers a keepalive of a missing lease with TTL 0.
                  out.send(b.build());
                });
      }

      @Override
      public void onError(Throwable t) {
        out.close();
      }

      @Override
      public void onCompleted() {
        out.complete();
      }
    };
  }

  /** The store's header as this service's message type (same fields, same wire format). */
  private ResponseHeader header() {
    io.etcd.jetcd.api.ResponseHeader h = store.header();
    return ResponseHeader.newBuilder()
        .setClusterId(h.getClusterId())
        .setMemberId(h.getMemberId())
        .setRevision(h.getRevision())
        .setRaftTerm(h.getRaftTerm())
        .build();
  }
}
