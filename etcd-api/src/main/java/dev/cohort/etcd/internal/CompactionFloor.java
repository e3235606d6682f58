package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.Kv;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * etcd's compaction point, which Cohort has no counterpart for: kv compacts each partition's
 * history by itself ({@code cohort.kv.history.*}). An etcd {@code Compact(rev)} records {@code rev}
 * here, and reads and watches below it are then refused as compacted, as etcd refuses them; the
 * history itself stays until kv drops it. The floor lives in the {@code default} keyspace under
 * {@code etcd-api/{<keyspace>}/compacted}, so every node sees the same one. It only rises (a
 * compare-and-swap on the key's mod revision). Thread-safe.
 */
final class CompactionFloor {
  private final Kv kv;
  private final String key;

  CompactionFloor(Kv kv, String keyspace) {
    this.kv = kv;
    this.key = "etcd-api/{" + keyspace + "}/compacted";
  }

  /** The compacted revision, 0 when the keyspace was never compacted through the etcd API. */
  CompletionStage<Long> get() {
    return kv.range(Kv.DEFAULT_KEYSPACE, dev.cohort.kv.RangeRequest.between(key, key + "\0"))
        .thenApply(r -> r.kvs().isEmpty() ? 0L : parse(r.kvs().get(0).value()));
  }

  /**
   * Raises the floor to {@code revision}; fails with etcd's compacted error when it already is at
   * or above it.
   */
  CompletionStage<Void> raise(long revision) {
    return kv.range(Kv.DEFAULT_KEYSPACE, dev.cohort.kv.RangeRequest.between(key, key + "\0"))
        .thenCompose(
            r -> {
              long current = r.kvs().isEmpty() ? 0 : parse(r.kvs().get(0).value());
              long modRevision = r.kvs().isEmpty() ? 0 : r.kvs().get(0).modRevision();
              if (revision <= current) {
                throw EtcdErrors.compacted();
              }
              TxnRequest swap =
                  new TxnRequest(
                      List.of(Compare.modRevision(key, Compare.Op.EQUAL, modRevision)),
                      List.of(
                          new TxnOp.Put(
                              key,
                              Long.toString(revision).getBytes(StandardCharsets.UTF_8),
                              PutOptions.NONE)),
                      List.of());
              return kv.txn(Kv.DEFAULT_KEYSPACE, swap)
                  .thenCompose(t -> t.succeeded() ? Async.done() : raise(revision));
            });
  }

  private static long parse(byte[] value) {
    return Long.parseLong(new String(value, StandardCharsets.UTF_8));
  }
}
