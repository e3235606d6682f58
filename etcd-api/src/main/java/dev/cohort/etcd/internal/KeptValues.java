package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The keys that the {@code ignore_value} puts of one etcd transaction name, as read just before it
 * runs, and what makes the transaction one kv can run: each such put becomes a plain put of the
 * value read ({@link #put}), and the whole transaction runs nested in a guard ({@link #guard})
 * whose compares pin every one of those keys to what was read: its mod revision, or its absence.
 * When the guard holds, every substituted value is the key's current value, as etcd's put reads it;
 * when it fails, nothing ran and the caller reads again.
 *
 * <p>Invariants: a key read as missing is guarded as missing, and its put becomes an {@code
 * ignoreLease} put, which kv refuses with {@code key_not_found} (the whole transaction, nothing
 * applied) exactly when the branch holding it runs: etcd's {@code key not found}, which etcd's
 * {@code checkTxn} answers for the branches that run only. Immutable; thread-safe.
 */
final class KeptValues {
  /** For a transaction without {@code ignore_value} puts: nothing read, nothing to keep. */
  static final KeptValues NONE = new KeptValues(Map.of());

  private static final byte[] NO_VALUE = new byte[0];

  /** Each key read, with its state then (empty: missing), in order of first mention. */
  private final Map<String, Optional<KeyValue>> read;

  private KeptValues(Map<String, Optional<KeyValue>> read) {
    this.read = read;
  }

  /** The keys of the {@code ignore_value} puts anywhere in {@code request}'s tree. */
  static Set<String> keysOf(io.etcd.jetcd.api.TxnRequest request) {
    Set<String> keys = new LinkedHashSet<>();
    collect(request, keys);
    return keys;
  }

  private static void collect(io.etcd.jetcd.api.TxnRequest request, Set<String> keys) {
    for (List<RequestOp> branch : List.of(request.getSuccessList(), request.getFailureList())) {
      for (RequestOp op : branch) {
        if (op.hasRequestPut() && op.getRequestPut().getIgnoreValue()) {
          keys.add(EtcdStore.key(op.getRequestPut().getKey()));
        } else if (op.hasRequestTxn()) {
          collect(op.getRequestTxn(), keys);
        }
      }
    }
  }

  /** Reads {@code keys} at one revision (one kv transaction of reads, which writes nothing). */
  static CompletionStage<KeptValues> read(EtcdStore store, Set<String> keys) {
    List<TxnOp> gets = new ArrayList<>();
    keys.forEach(key -> gets.add(new TxnOp.Get(key)));
    return store
        .kv()
        .txn(store.keyspaceName(), new TxnRequest(List.of(), gets, List.of()))
        .thenApply(
            result -> {
              Map<String, Optional<KeyValue>> read = new LinkedHashMap<>();
              int i = 0;
              for (String key : keys) {
                read.put(key, ((TxnOpResult.Get) result.responses().get(i++)).kv());
              }
              return new KeptValues(read);
            });
  }

  /**
   * The kv put for etcd's {@code put}, an {@code ignore_value} one writing the value read (its
   * lease, {@code prev_kv} and {@code ignore_lease} kept). A key read as missing gets an {@code
   * ignoreLease} put without a lease, which fails the transaction if its branch runs.
   */
  TxnOp.Put put(String key, PutRequest p, PutOptions options) {
    if (!p.getIgnoreValue()) {
      return new TxnOp.Put(key, p.getValue().toByteArray(), options);
    }
    Optional<KeyValue> current = read.get(key);
    if (current == null) {
      throw new IllegalStateException("ignore_value put of '" + key + "', which was not read");
    }
    return current
        .map(kv -> new TxnOp.Put(key, kv.value(), options))
        .orElseGet(() -> new TxnOp.Put(key, NO_VALUE, new PutOptions(0, options.prevKv(), true)));
  }

  /**
   * {@code txn} nested as the only op of a transaction that runs it only while every key read is as
   * it was read (mod revision equal, or still missing: version 0).
   */
  TxnRequest guard(TxnRequest txn) {
    List<Compare> pins = new ArrayList<>();
    read.forEach(
        (key, current) ->
            pins.add(
                current
                    .map(kv -> Compare.modRevision(key, Compare.Op.EQUAL, kv.modRevision()))
                    .orElseGet(() -> Compare.version(key, Compare.Op.EQUAL, 0))));
    return new TxnRequest(pins, List.of(new TxnOp.Txn(txn)), List.of());
  }
}
