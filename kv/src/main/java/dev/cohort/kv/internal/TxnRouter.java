package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * Routes a CP transaction: one whose keys fall in one partition goes to that partition entity
 * through the batcher (the fast path: one journal write); one whose keys span partitions is split
 * into one share per partition and run by a new {@link TxnCoordinator} (two-phase commit). Puts,
 * deletes and proclaims are transactions of one op and take the fast path.
 *
 * <p>Invariants: every lease a put of either branch names is attached, at its lessor, to each
 * partition that may write it before that partition sees the transaction (an unknown lease fails
 * the transaction before anything is written); a share keeps its ops in request order and records
 * their slots, so the coordinator answers in request order; a transaction that names no key goes to
 * partition 0. Holds no state. Thread-safe.
 */
final class TxnRouter {
  private final KvSettings settings;
  private final EntityAsks asks;
  private final MeteredCalls calls;
  private final EdgeChecks checks;
  private final KeyspaceDirectory directory;
  private final Leases leases;
  private final Tracing tracing;

  TxnRouter(
      KvSettings settings,
      EntityAsks asks,
      MeteredCalls calls,
      EdgeChecks checks,
      KeyspaceDirectory directory,
      Leases leases,
      Tracing tracing) {
    this.tracing = tracing;
    this.settings = settings;
    this.asks = asks;
    this.calls = calls;
    this.checks = checks;
    this.directory = directory;
    this.leases = leases;
  }

  /** {@code Kv.txn} on a CP keyspace. */
  CompletionStage<TxnResult> txn(String keyspace, TxnRequest txn) {
    TraceContext trace = tracing.capture();
    return calls.call(
        keyspace,
        "txn",
        () -> {
          List<String> keys = checks.txn(txn);
          return directory.withKeyspace(
              keyspace,
              ks -> {
                Set<Integer> partitions = new TreeSet<>();
                for (String key : keys) {
                  partitions.add(Keys.partitionOf(key, ks.partitions()));
                }
                if (ks.partitions() > 1 && TxnRules.needsOnePartition(txn)) {
                  throw KvError.MALFORMED_TXN.exception(TxnRules.INTERVAL_ONE_PARTITION);
                }
                if (partitions.size() > 1 && TxnRules.hasNested(txn)) {
                  throw KvError.MALFORMED_TXN.exception(TxnRules.NESTED_ONE_PARTITION);
                }
                if (partitions.size() > 1) {
                  return twoPhase(ks, txn, trace);
                }
                int partition = partitions.isEmpty() ? 0 : partitions.iterator().next();
                return onePartition(KeyspaceDirectory.entityId(ks, partition), txn, trace);
              });
        });
  }

  /**
   * Attaches the txn's leases to the partition, then sends it through the batcher; {@code trace} is
   * the caller's span, captured where the call entered kv (later stages run on other threads).
   */
  CompletionStage<TxnResult> onePartition(String entityId, TxnRequest txn, TraceContext trace) {
    List<CompletionStage<KvLessor.LeaseState>> attaches =
        attachLeases(entityId, txn.success(), txn.failure());
    return EntityAsks.all(attaches)
        .thenCompose(x -> asks.write(entityId, r -> new KvPartition.Txn(txn, r, trace)))
        .thenApply(reply -> EntityAsks.expect(reply, KvPartition.TxnReply.class).result());
  }

  /** One partition's share of a cross-partition transaction, while it is being split. */
  private record Share(
      List<Compare> compare,
      List<TxnOp> success,
      List<Integer> successSlots,
      List<TxnOp> failure,
      List<Integer> failureSlots) {
    Share() {
      this(
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>(),
          new ArrayList<>());
    }
  }

  /**
   * Runs a transaction whose keys span partitions through a new {@link TxnCoordinator} (two-phase
   * commit). Leases are attached to every partition that may put a key with one before anything is
   * prepared, as for a single partition.
   */
  private CompletionStage<TxnResult> twoPhase(KeyspaceInfo ks, TxnRequest txn, TraceContext trace) {
    List<TxnCoordinator.Participant> participants = new ArrayList<>();
    List<CompletionStage<KvLessor.LeaseState>> attaches = new ArrayList<>();
    for (Map.Entry<Integer, Share> e : split(ks, txn).entrySet()) {
      Share share = e.getValue();
      String entityId = KeyspaceDirectory.entityId(ks, e.getKey());
      participants.add(
          new TxnCoordinator.Participant(
              entityId,
              e.getKey(),
              new TxnRequest(share.compare(), share.success(), share.failure()),
              List.copyOf(share.successSlots()),
              List.copyOf(share.failureSlots())));
      attaches.addAll(attachLeases(entityId, share.success(), share.failure()));
    }
    String txnId = UUID.randomUUID().toString();
    // Prepares may wait cohort.kv.txn.lock-wait and each phase may take up to an ask-timeout.
    Duration timeout = settings.askTimeout().multipliedBy(2);
    return EntityAsks.all(attaches)
        .thenCompose(
            x ->
                asks.<TxnCoordinator.Command, TxnCoordinator.Reply>ask(
                    asks.coordinator(txnId),
                    r ->
                        new TxnCoordinator.Start(
                            List.copyOf(participants),
                            txn.success().size(),
                            txn.failure().size(),
                            trace,
                            r),
                    timeout))
        .thenApply(
            reply ->
                switch (reply) {
                  case TxnCoordinator.Finished f -> f.result();
                  case TxnCoordinator.Failed f -> throw KvException.of(f.rejection());
                });
  }

  /** The transaction's compares and ops by partition, each op with its slot in its branch. */
  private static TreeMap<Integer, Share> split(KeyspaceInfo ks, TxnRequest txn) {
    TreeMap<Integer, Share> shares = new TreeMap<>();
    for (Compare c : txn.compare()) {
      shares
          .computeIfAbsent(Keys.partitionOf(c.key(), ks.partitions()), p -> new Share())
          .compare()
          .add(c);
    }
    place(shares, ks, txn.success(), true);
    place(shares, ks, txn.failure(), false);
    return shares;
  }

  /** Adds each op of a branch to its partition's share, with its slot in the branch. */
  private static void place(
      TreeMap<Integer, Share> shares, KeyspaceInfo ks, List<TxnOp> branch, boolean success) {
    for (int i = 0; i < branch.size(); i++) {
      TxnOp op = branch.get(i);
      Share share =
          shares.computeIfAbsent(Keys.partitionOf(op.key(), ks.partitions()), p -> new Share());
      (success ? share.success() : share.failure()).add(op);
      (success ? share.successSlots() : share.failureSlots()).add(i);
    }
  }

  /** Asks the lessors to record that {@code entityId} may hold keys of the ops' leases. */
  private List<CompletionStage<KvLessor.LeaseState>> attachLeases(
      String entityId, List<TxnOp> success, List<TxnOp> failure) {
    Set<Long> used = new TreeSet<>();
    addLeases(success, used);
    addLeases(failure, used);
    List<CompletionStage<KvLessor.LeaseState>> attaches = new ArrayList<>();
    for (long lease : used) {
      attaches.add(leases.attach(lease, entityId));
    }
    return attaches;
  }

  /** The leases the puts of {@code ops} name, nested transactions' included. */
  private static void addLeases(List<TxnOp> ops, Set<Long> into) {
    for (TxnOp op : ops) {
      if (op instanceof TxnOp.Put put && put.options() != null && put.options().lease() != 0) {
        into.add(put.options().lease());
      } else if (op instanceof TxnOp.Txn nested) {
        addLeases(nested.txn().success(), into);
        addLeases(nested.txn().failure(), into);
      }
    }
  }
}
