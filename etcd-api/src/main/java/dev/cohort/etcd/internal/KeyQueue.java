package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.persistence.AskStages;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The queue etcd's lock and election recipes build from keys under a prefix ({@code <name>/<lease
 * hex>}, each on its holder's lease): the key with the lowest create revision is at the head, and a
 * waiter waits for the deletion of the key just ahead of it (no herd). Fencing is by create
 * revision, as in etcd and in kv's own locks. Stateless; thread-safe.
 */
final class KeyQueue {
  private final EtcdStore store;

  KeyQueue(EtcdStore store) {
    this.store = store;
  }

  /** The queue key of a holder: etcd's {@code fmt.Sprintf("%s/%x", name, lease)}. */
  static String keyOf(String name, long lease) {
    return name + "/" + Long.toHexString(lease);
  }

  /** An entered key: its create revision and whether this call created it. */
  record Entry(KeyValue kv, boolean created) {}

  /**
   * Puts {@code key} with {@code value} on {@code lease} unless it exists (then it is this lease's
   * own key from an earlier call, kept as it is).
   */
  CompletionStage<Entry> enter(String key, byte[] value, long lease) {
    TxnRequest txn =
        new TxnRequest(
            List.of(Compare.createRevision(key, Compare.Op.EQUAL, 0)),
            List.of(new TxnOp.Put(key, value, PutOptions.withLease(lease)), new TxnOp.Get(key)),
            List.of(new TxnOp.Get(key)));
    return store
        .kv()
        .txn(store.keyspaceName(), txn)
        .thenApply(
            t -> {
              TxnOpResult.Get got = (TxnOpResult.Get) t.responses().get(t.succeeded() ? 1 : 0);
              return new Entry(got.kv().orElseThrow(), t.succeeded());
            });
  }

  /**
   * Enters {@code key} into the queue {@code name} (see {@link #enter}), runs {@code beforeWait} on
   * the entry, then waits until it heads the queue. When the wait is given up, a key this call
   * created is deleted again, so an abandoned waiter does not hold its place.
   */
  CompletionStage<Entry> acquire(
      String name,
      String key,
      byte[] value,
      long lease,
      Wait wait,
      java.util.function.Function<Entry, CompletionStage<Void>> beforeWait) {
    return enter(key, value, lease)
        .thenCompose(
            entry ->
                beforeWait
                    .apply(entry)
                    .thenCompose(
                        v -> {
                          awaitHead(name, entry.kv().createRevision(), wait);
                          return wait.done
                              .whenComplete(
                                  (x, failure) -> {
                                    if (failure != null && entry.created()) {
                                      store.kv().delete(store.keyspaceName(), key, false);
                                    }
                                  })
                              .thenApply(x -> entry);
                        }));
  }

  /** Every key of the queue {@code name}, by create revision. */
  CompletionStage<RangeResult> members(String name) {
    return store
        .kv()
        .range(
            store.keyspaceName(),
            RangeRequest.prefix(name + "/").withLimit(store.kvSettings().rangeMaxLimit()));
  }

  /** The head of the queue {@code name}, if any. */
  CompletionStage<Optional<KeyValue>> head(String name) {
    return members(name)
        .thenApply(r -> r.kvs().stream().min(Comparator.comparingLong(KeyValue::createRevision)));
  }

  /** A wait that can be given up. */
  static final class Wait {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile UniqueKillSwitch kill;

    void giveUp(Throwable why) {
      if (done.completeExceptionally(why) && kill != null) {
        kill.shutdown();
      }
    }
  }

  /**
   * Completes {@code wait} once no key of {@code name} older than {@code createRevision} is left.
   */
  void awaitHead(String name, long createRevision, Wait wait) {
    if (wait.done.isDone()) {
      return;
    }
    members(name)
        .whenComplete(
            (r, failure) -> {
              if (failure != null) {
                wait.done.completeExceptionally(failure);
                return;
              }
              Optional<KeyValue> ahead =
                  r.kvs().stream()
                      .filter(kv -> kv.createRevision() < createRevision)
                      .max(Comparator.comparingLong(KeyValue::createRevision));
              if (ahead.isEmpty()) {
                wait.done.complete(null);
                return;
              }
              var run =
                  store
                      .kv()
                      .watch(
                          store.keyspaceName(), WatchRequest.key(ahead.get().key()).from(r.token()))
                      .filter(e -> e.type() == WatchEvent.Type.DELETE)
                      .viaMat(KillSwitches.single(), Keep.right())
                      .toMat(Sink.head(), Keep.both())
                      .run(store.materializer());
              wait.kill = run.first();
              if (wait.done.isDone()) {
                run.first().shutdown();
                return;
              }
              AskStages.on(run.second(), store.materializer().executionContext())
                  .whenComplete(
                      (deleted, watchFailure) -> {
                        if (watchFailure != null && !wait.done.isDone()) {
                          wait.done.completeExceptionally(watchFailure);
                        } else {
                          awaitHead(name, createRevision, wait);
                        }
                      });
            });
  }
}
