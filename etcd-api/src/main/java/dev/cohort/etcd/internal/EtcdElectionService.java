package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.persistence.AskStages;
import io.etcd.jetcd.api.CampaignRequest;
import io.etcd.jetcd.api.CampaignResponse;
import io.etcd.jetcd.api.ElectionGrpc;
import io.etcd.jetcd.api.LeaderKey;
import io.etcd.jetcd.api.LeaderRequest;
import io.etcd.jetcd.api.LeaderResponse;
import io.etcd.jetcd.api.ProclaimRequest;
import io.etcd.jetcd.api.ProclaimResponse;
import io.etcd.jetcd.api.ResignRequest;
import io.etcd.jetcd.api.ResignResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * etcd's {@code v3election} service on the same key queue as locks: Campaign enters {@code
 * <name>/<lease hex>} with the candidate's value and answers once it heads the queue; Proclaim is a
 * compare-and-swap on the leader key's create revision (the term); Resign deletes the key if it
 * still leads; Leader reads the head; Observe streams the head whenever it or its value changes.
 * Errors as etcd's server returns them: "election: not leader", "election: no leader". Stateless;
 * thread-safe.
 */
public final class EtcdElectionService extends ElectionGrpc.ElectionImplBase {
  private final EtcdStore store;
  private final KeyQueue queue;

  public EtcdElectionService(EtcdStore store) {
    this.store = store;
    this.queue = new KeyQueue(store);
  }

  static StatusRuntimeException notLeader() {
    return Status.UNKNOWN.withDescription("election: not leader").asRuntimeException();
  }

  static StatusRuntimeException noLeader() {
    return Status.UNKNOWN.withDescription("election: no leader").asRuntimeException();
  }

  @Override
  public void campaign(CampaignRequest request, StreamObserver<CampaignResponse> observer) {
    KeyQueue.Wait wait = Waits.forCurrentCall(store);
    Async.answer(observer, () -> campaign(request, wait));
  }

  private CompletionStage<CampaignResponse> campaign(CampaignRequest request, KeyQueue.Wait wait) {
    String name = EtcdStore.key(request.getName());
    long lease = request.getLease();
    if (lease == 0) {
      throw EtcdErrors.invalid("cohort: a campaign needs the lease of the candidate's session");
    }
    String key = KeyQueue.keyOf(name, lease);
    byte[] value = request.getValue().toByteArray();
    // a candidate already in the queue (same lease) with another value proclaims it first, as etcd
    java.util.function.Function<KeyQueue.Entry, CompletionStage<Void>> currentValue =
        entry ->
            entry.created() || Arrays.equals(entry.kv().value(), value)
                ? Async.done()
                : store
                    .kv()
                    .put(store.keyspaceName(), key, value, PutOptions.withLease(lease))
                    .thenApply(p -> null);
    return store
        .keyspace()
        .thenCompose(info -> queue.acquire(name, key, value, lease, wait, currentValue))
        .thenCompose(
            entry ->
                store
                    .currentRevision()
                    .thenApply(
                        now ->
                            CampaignResponse.newBuilder()
                                .setHeader(store.header(now))
                                .setLeader(
                                    LeaderKey.newBuilder()
                                        .setName(request.getName())
                                        .setKey(EtcdStore.bytes(key))
                                        .setRev(entry.kv().createRevision())
                                        .setLease(lease))
                                .build()));
  }

  @Override
  public void proclaim(ProclaimRequest request, StreamObserver<ProclaimResponse> observer) {
    LeaderKey leader = request.getLeader();
    Async.answer(
        observer,
        () ->
            asLeader(
                    leader,
                    key ->
                        new TxnOp.Put(
                            key,
                            request.getValue().toByteArray(),
                            PutOptions.withLease(leader.getLease())))
                .thenApply(
                    t -> {
                      if (!t.succeeded()) {
                        throw notLeader();
                      }
                      return ProclaimResponse.newBuilder()
                          .setHeader(store.header(t.header().revision()))
                          .build();
                    }));
  }

  @Override
  public void resign(ResignRequest request, StreamObserver<ResignResponse> observer) {
    // resigning when no longer leading changes nothing and is no error, as in etcd
    Async.answer(
        observer,
        () ->
            asLeader(request.getLeader(), TxnOp.Delete::new)
                .thenApply(
                    t ->
                        ResignResponse.newBuilder()
                            .setHeader(store.header(t.header().revision()))
                            .build()));
  }

  /** Runs {@code op} on the leader key only while it is still that leader's (its term). */
  private CompletionStage<dev.cohort.kv.TxnResult> asLeader(
      LeaderKey leader, java.util.function.Function<String, TxnOp> op) {
    String key = EtcdStore.key(leader.getKey());
    return store
        .kv()
        .txn(
            store.keyspaceName(),
            new TxnRequest(
                List.of(Compare.createRevision(key, Compare.Op.EQUAL, leader.getRev())),
                List.of(op.apply(key)),
                List.of()));
  }

  @Override
  public void leader(LeaderRequest request, StreamObserver<LeaderResponse> observer) {
    Async.answer(
        observer,
        () -> {
          String name = EtcdStore.key(request.getName());
          return queue
              .members(name)
              .thenApply(
                  r -> {
                    KeyValue head =
                        r.kvs().stream()
                            .min(Comparator.comparingLong(KeyValue::createRevision))
                            .orElseThrow(EtcdElectionService::noLeader);
                    return LeaderResponse.newBuilder()
                        .setHeader(store.header(store.lastRevision()))
                        .setKv(EtcdStore.toEtcd(head, false))
                        .build();
                  });
        });
  }

  @Override
  public void observe(LeaderRequest request, StreamObserver<LeaderResponse> observer) {
    SerializedObserver<LeaderResponse> out = store.stream(observer);
    String name;
    try {
      name = EtcdStore.key(request.getName());
    } catch (StatusRuntimeException e) {
      out.fail(e);
      return;
    }
    Context context = Context.current();
    queue
        .members(name)
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                out.fail(failure);
                return;
              }
              Map<String, KeyValue> members = new HashMap<>();
              r.kvs().forEach(kv -> members.put(kv.key(), kv));
              KeyValue[] shown = {null};
              sendHead(members, shown, out);
              var run =
                  store
                      .kv()
                      .watch(store.keyspaceName(), WatchRequest.prefix(name + "/").from(r.token()))
                      .viaMat(KillSwitches.single(), Keep.right())
                      .toMat(
                          Sink.foreach(
                              (WatchEvent e) -> {
                                if (e.type() == WatchEvent.Type.PUT) {
                                  members.put(e.kv().key(), e.kv());
                                } else {
                                  members.remove(e.kv().key());
                                }
                                sendHead(members, shown, out);
                              }),
                          Keep.both())
                      .run(store.materializer());
              context.addListener(c -> run.first().shutdown(), Runnable::run);
              AskStages.on(run.second(), store.materializer().executionContext())
                  .whenComplete(
                      (done, watchFailure) -> {
                        if (watchFailure != null) {
                          out.fail(watchFailure);
                        } else {
                          out.complete();
                        }
                      });
            });
  }

  /** Sends the head when it differs (key, term or value) from the one last sent. */
  private void sendHead(
      Map<String, KeyValue> members, KeyValue[] shown, SerializedObserver<LeaderResponse> out) {
    KeyValue head =
        members.values().stream()
            .min(Comparator.comparingLong(KeyValue::createRevision))
            .orElse(null);
    if (head == null
        || (shown[0] != null
            && shown[0].key().equals(head.key())
            && shown[0].createRevision() == head.createRevision()
            && Arrays.equals(shown[0].value(), head.value()))) {
      return;
    }
    shown[0] = head;
    out.send(
        LeaderResponse.newBuilder()
            .setHeader(store.header(head.modRevision()))
            .setKv(EtcdStore.toEtcd(head, false))
            .build());
  }
}
