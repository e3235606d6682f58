package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code KV} service: Range, Put, DeleteRange, Txn and Compact over the served keyspace.
 * Each call validates its request before anything is written (bad input changes nothing), then
 * makes one kv call, or a compare-and-swap loop where etcd has an option kv lacks ({@code
 * ignore_value}, a delete over an arbitrary key interval). Stateless apart from its collaborators;
 * thread-safe.
 */
public final class EtcdKvService extends KVGrpc.KVImplBase {
  private final EtcdStore store;
  private final RangeReader ranges;
  private final TxnRunner txns;
  private final CompactionFloor floor;

  public EtcdKvService(EtcdStore store) {
    this.store = store;
    this.floor = new CompactionFloor(store.kv(), store.keyspaceName());
    this.ranges = new RangeReader(store, floor);
    this.txns = new TxnRunner(store, ranges);
  }

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
    Async.answer(observer, () -> ranges.range(request));
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> observer) {
    Async.answer(observer, () -> store.keyspace().thenCompose(info -> put(request)));
  }

  @Override
  public void deleteRange(
      DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
    Async.answer(observer, () -> deleteRange(request));
  }

  @Override
  public void txn(io.etcd.jetcd.api.TxnRequest request, StreamObserver<TxnResponse> observer) {
    Async.answer(observer, () -> store.keyspace().thenCompose(info -> txns.run(request)));
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
    Async.answer(observer, () -> compact(request.getRevision()));
  }

  CompletionStage<PutResponse> put(PutRequest request) {
    String key = EtcdStore.key(request.getKey());
    if (request.getIgnoreValue() && !request.getValue().isEmpty()) {
      throw EtcdErrors.valueProvided();
    }
    if (request.getIgnoreLease() && request.getLease() != 0) {
      throw EtcdErrors.leaseProvided();
    }
    PutOptions options =
        new PutOptions(request.getLease(), request.getPrevKv(), request.getIgnoreLease());
    if (request.getIgnoreValue()) {
      return putKeepingValue(key, options);
    }
    return store
        .kv()
        .put(store.keyspaceName(), key, request.getValue().toByteArray(), options)
        .thenApply(
            r -> {
              PutResponse.Builder b =
                  PutResponse.newBuilder().setHeader(store.header(r.header().revision()));
              r.prevKv().ifPresent(prev -> b.setPrevKv(EtcdStore.toEtcd(prev, false)));
              return b.build();
            });
  }

  /** {@code ignore_value}: rewrites the current value, compare-and-swap on its mod revision. */
  private CompletionStage<PutResponse> putKeepingValue(String key, PutOptions options) {
    return store
        .kv()
        .get(store.keyspaceName(), key)
        .exceptionally(
            failure -> {
              if (EtcdErrors.is(failure, KvError.KEY_NOT_FOUND)) {
                throw EtcdErrors.keyNotFound();
              }
              throw EtcdErrors.of(failure);
            })
        .thenCompose(
            current -> {
              KeyValue kv = current.kv();
              TxnRequest swap =
                  new TxnRequest(
                      List.of(Compare.modRevision(key, Compare.Op.EQUAL, kv.modRevision())),
                      List.of(new TxnOp.Put(key, kv.value(), options)),
                      List.of());
              return store
                  .kv()
                  .txn(store.keyspaceName(), swap)
                  .thenCompose(
                      t -> {
                        if (!t.succeeded()) {
                          return putKeepingValue(key, options);
                        }
                        PutResponse.Builder b =
                            PutResponse.newBuilder().setHeader(store.header(t.header().revision()));
                        if (options.prevKv()) {
                          b.setPrevKv(EtcdStore.toEtcd(kv, false));
                        }
                        return CompletableFuture.completedFuture(b.build());
                      });
            });
  }

  CompletionStage<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
    KeyRange range = KeyRange.of(request.getKey(), request.getRangeEnd());
    boolean prevKv = request.getPrevKv();
    return store
        .keyspace()
        .thenCompose(
            info ->
                switch (range.kind()) {
                  case SINGLE ->
                      store
                          .kv()
                          .delete(store.keyspaceName(), range.key(), prevKv)
                          .thenApply(d -> deleted(info, d, prevKv));
                  case PREFIX ->
                      store
                          .kv()
                          .deletePrefix(store.keyspaceName(), range.key(), prevKv)
                          .thenApply(d -> deleted(info, d, prevKv));
                  case ALL ->
                      store
                          .kv()
                          .deletePrefix(store.keyspaceName(), "", prevKv)
                          .thenApply(d -> deleted(info, d, prevKv));
                  case FROM, BETWEEN -> deleteInterval(request, prevKv);
                });
  }

  private DeleteRangeResponse deleted(KeyspaceInfo info, DeleteResult d, boolean prevKv) {
    long revision =
        d.headers().isEmpty()
            ? store.revisionOf(info, d.token())
            : EtcdStore.revisionOf(d.headers());
    DeleteRangeResponse.Builder b =
        DeleteRangeResponse.newBuilder().setHeader(store.header(revision)).setDeleted(d.deleted());
    if (prevKv) {
      d.prevKvs().forEach(kv -> b.addPrevKvs(EtcdStore.toEtcd(kv, false)));
    }
    return b.build();
  }

  /**
   * A delete over an interval kv has no delete for: read the keys, then delete them in one
   * transaction that holds only if none of them changed meanwhile (else read again).
   */
  private CompletionStage<DeleteRangeResponse> deleteInterval(
      DeleteRangeRequest request, boolean prevKv) {
    RangeRequest read =
        RangeRequest.newBuilder()
            .setKey(request.getKey())
            .setRangeEnd(request.getRangeEnd())
            .build();
    return ranges
        .range(read)
        .thenCompose(
            found -> {
              if (found.getKvsCount() == 0) {
                return CompletableFuture.completedFuture(
                    DeleteRangeResponse.newBuilder().setHeader(found.getHeader()).build());
              }
              List<Compare> unchanged = new ArrayList<>();
              List<TxnOp> deletes = new ArrayList<>();
              for (io.etcd.jetcd.api.KeyValue kv : found.getKvsList()) {
                String key = EtcdStore.text(kv.getKey());
                unchanged.add(Compare.modRevision(key, Compare.Op.EQUAL, kv.getModRevision()));
                deletes.add(new TxnOp.Delete(key, prevKv));
              }
              return store
                  .kv()
                  .txn(store.keyspaceName(), new TxnRequest(unchanged, deletes, List.of()))
                  .thenCompose(
                      t -> {
                        if (!t.succeeded()) {
                          return deleteInterval(request, prevKv);
                        }
                        DeleteRangeResponse.Builder b =
                            DeleteRangeResponse.newBuilder()
                                .setHeader(store.header(t.header().revision()));
                        long deleted = 0;
                        for (TxnOpResult r : t.responses()) {
                          TxnOpResult.Delete d = (TxnOpResult.Delete) r;
                          deleted += d.deleted();
                          if (prevKv) {
                            d.prevKvs().forEach(kv -> b.addPrevKvs(EtcdStore.toEtcd(kv, false)));
                          }
                        }
                        return CompletableFuture.completedFuture(b.setDeleted(deleted).build());
                      });
            });
  }

  private CompletionStage<CompactionResponse> compact(long revision) {
    return store
        .currentRevision()
        .thenCompose(
            now -> {
              if (revision > now) {
                throw EtcdErrors.futureRevision();
              }
              return floor
                  .raise(revision)
                  .thenApply(
                      v -> CompactionResponse.newBuilder().setHeader(store.header(now)).build());
            });
  }
}
