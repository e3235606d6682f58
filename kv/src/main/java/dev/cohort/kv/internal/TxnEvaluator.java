package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.kv.internal.KvPartition.DeleteKey;
import dev.cohort.kv.internal.KvPartition.DeleteRange;
import dev.cohort.kv.internal.KvPartition.DeleteReply;
import dev.cohort.kv.internal.KvPartition.Done;
import dev.cohort.kv.internal.KvPartition.Event;
import dev.cohort.kv.internal.KvPartition.Mutation;
import dev.cohort.kv.internal.KvPartition.PutKv;
import dev.cohort.kv.internal.KvPartition.Rejected;
import dev.cohort.kv.internal.KvPartition.Reply;
import dev.cohort.kv.internal.KvPartition.RevokeLease;
import dev.cohort.kv.internal.KvPartition.State;
import dev.cohort.kv.internal.KvPartition.Txn;
import dev.cohort.kv.internal.KvPartition.TxnReply;
import dev.cohort.kv.internal.KvPartition.WriteCommand;
import dev.cohort.kv.internal.KvPartition.Written;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Transaction evaluation in one kv partition, as etcd's {@code kvstore_txn.go}: decides a batch of
 * writes (transactions, range deletes, lease revocations) in order against an {@link Overlay} of
 * the state, and says which events to persist and what to answer each write.
 *
 * <p>Invariants: a write that is refused (bad input, a revoked lease, a refused branch) contributes
 * no mutation, so a bad request changes nothing; a write that changes a key gets the next revision,
 * and one that changes none keeps the current one; later writes of a batch see the earlier ones.
 * Deciding changes nothing outside the overlay: the caller persists the events and sends the
 * answers after the journal write. Not thread-safe; used by the partition's actor only.
 */
final class TxnEvaluator {
  private final KvSettings settings;
  private final String keyspace;
  private final int partitions;
  private final int partition;

  TxnEvaluator(KvSettings settings, String keyspace, int partitions, int partition) {
    this.settings = settings;
    this.keyspace = keyspace;
    this.partitions = partitions;
    this.partition = partition;
  }

  /** An answer to send once the batch's journal write completed. */
  record Pending(ActorRef<Reply> replyTo, Reply reply) {}

  /** What a batch decided: its events (one journal write), their changes, and every answer. */
  record Outcome(List<Event> events, List<Change> changes, List<Pending> replies) {}

  /** What one write decided: the mutations to persist (null: none) and its reply. */
  private record Decision(
      List<Mutation> mutations, long revokedLease, Function<Header, Reply> reply) {
    static Decision reject(Rejection rejection) {
      Rejected r = new Rejected(rejection);
      return new Decision(null, 0, h -> r);
    }
  }

  /** What a branch's ops do: mutations and results, or the problem that refuses the branch. */
  record Branch(List<Mutation> mutations, List<TxnOpResult> results, Rejection problem) {}

  /**
   * Decides {@code commands} in order against an overlay of {@code state}, stamping their events
   * {@code now}. Every answer, rejections and reads inside transactions included, is meant to wait
   * for the journal write of the events, since it may have seen an earlier write of the batch.
   */
  Outcome decide(State state, List<WriteCommand> commands, long now) {
    Overlay view = new Overlay(state.kvs());
    List<Event> events = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    List<Pending> replies = new ArrayList<>(commands.size());
    long revision = state.revision();
    Set<Long> revokedInBatch = new HashSet<>();
    for (WriteCommand command : commands) {
      Decision d =
          switch (command) {
            case Txn txn -> decideTxn(state, revokedInBatch, view, txn.txn(), revision + 1);
            case DeleteRange range -> decideDeleteRange(view, range);
            case RevokeLease revoke -> {
              revokedInBatch.add(revoke.lease());
              yield decideRevoke(view, revoke);
            }
          };
      if (d.mutations() != null) {
        long eventRevision = d.mutations().isEmpty() ? revision : revision + 1;
        events.add(new Written(eventRevision, now, d.mutations(), d.revokedLease()));
        view.apply(d.mutations(), eventRevision, now, changes);
        revision = eventRevision;
      }
      replies.add(new Pending(command.replyTo(), d.reply().apply(new Header(partition, revision))));
    }
    return new Outcome(events, changes, replies);
  }

  private Decision decideTxn(
      State state, Set<Long> revokedInBatch, Overlay view, TxnRequest txn, long revision) {
    Rejection problem = checkTxn(state, revokedInBatch, txn);
    if (problem != null) {
      return Decision.reject(problem);
    }
    boolean succeeded = comparesHold(view, txn);
    Branch branch = runBranch(view, succeeded ? txn.success() : txn.failure(), revision);
    if (branch.problem() != null) {
      return Decision.reject(branch.problem());
    }
    List<TxnOpResult> answered = branch.results();
    return new Decision(
        branch.mutations().isEmpty() ? null : branch.mutations(),
        0,
        h -> new TxnReply(new TxnResult(h, succeeded, answered)));
  }

  private static Decision decideDeleteRange(Overlay view, DeleteRange range) {
    if (range.from() == null) {
      return Decision.reject(KvError.INVALID_REQUEST.rejection("delete range needs a start key"));
    }
    List<Mutation> mutations = new ArrayList<>();
    List<KeyValue> prevKvs = new ArrayList<>();
    for (String key : view.keysIn(range.from(), range.to())) {
      KeyValue prev = view.get(key);
      if (range.prevKv()) {
        prevKvs.add(prev);
      }
      mutations.add(new DeleteKey(key));
    }
    long deleted = mutations.size();
    List<KeyValue> answered = List.copyOf(prevKvs);
    return new Decision(
        mutations.isEmpty() ? null : List.copyOf(mutations),
        0,
        h -> new DeleteReply(h, deleted, answered));
  }

  private static Decision decideRevoke(Overlay view, RevokeLease revoke) {
    List<Mutation> mutations = new ArrayList<>();
    for (String key : view.keysWithLease(revoke.lease())) {
      mutations.add(new DeleteKey(key));
    }
    // Persisted even without keys: the partition must refuse late puts naming this lease.
    return new Decision(List.copyOf(mutations), revoke.lease(), Done::new);
  }

  /** Whether every compare of {@code txn} holds in {@code view} (an interval: for each key). */
  static boolean comparesHold(Overlay view, TxnRequest txn) {
    for (Compare compare : txn.compare()) {
      if (!holds(view, compare)) {
        return false;
      }
    }
    return true;
  }

  private static boolean holds(Overlay view, Compare compare) {
    if (!compare.isRange()) {
      return compare.holds(view.get(compare.key()));
    }
    String end = compare.rangeEnd().isEmpty() ? null : compare.rangeEnd();
    Set<String> keys = view.keysIn(compare.key(), end);
    if (keys.isEmpty()) {
      return compare.holds(null);
    }
    for (String key : keys) {
      if (!compare.holds(view.get(key))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Runs {@code ops} in order on a scratch view, so a get after a put sees the put. A nested
   * transaction's compares are evaluated against {@code view}, the keys before the branch ran (etcd
   * evaluates every compare of a transaction before any op), and its chosen branch's ops run in
   * place, on the same scratch view.
   */
  static Branch runBranch(Overlay view, List<TxnOp> ops, long revision) {
    Overlay scratch = view.child();
    List<Mutation> mutations = new ArrayList<>();
    List<TxnOpResult> results = new ArrayList<>(ops.size());
    Rejection problem = run(view, scratch, ops, revision, mutations, results);
    if (problem != null) {
      return new Branch(List.of(), List.of(), problem);
    }
    return new Branch(List.copyOf(mutations), List.copyOf(results), null);
  }

  private static Rejection run(
      Overlay before,
      Overlay scratch,
      List<TxnOp> ops,
      long revision,
      List<Mutation> mutations,
      List<TxnOpResult> results) {
    for (TxnOp op : ops) {
      switch (op) {
        case TxnOp.Put put -> {
          KeyValue prev = scratch.get(put.key());
          PutOptions o = put.options() == null ? PutOptions.NONE : put.options();
          if (o.ignoreLease() && prev == null) {
            return KvError.KEY_NOT_FOUND.rejection(
                "ignoreLease needs an existing key; '" + put.key() + "' has none");
          }
          long lease = o.ignoreLease() ? prev.lease() : o.lease();
          KeyValue kv =
              new KeyValue(
                  put.key(),
                  put.value(),
                  prev == null ? revision : prev.createRevision(),
                  revision,
                  prev == null ? 1 : prev.version() + 1,
                  lease);
          scratch.put(kv);
          mutations.add(new PutKv(kv));
          results.add(
              new TxnOpResult.Put(o.prevKv() ? Optional.ofNullable(prev) : Optional.empty()));
        }
        case TxnOp.Get get ->
            results.add(new TxnOpResult.Get(Optional.ofNullable(scratch.get(get.key()))));
        case TxnOp.Delete delete -> {
          KeyValue prev = scratch.get(delete.key());
          if (prev != null) {
            scratch.delete(delete.key());
            mutations.add(new DeleteKey(delete.key()));
          }
          List<KeyValue> prevKvs = delete.prevKv() && prev != null ? List.of(prev) : List.of();
          results.add(new TxnOpResult.Delete(prev == null ? 0 : 1, prevKvs));
        }
        case TxnOp.DeleteRange range -> {
          List<KeyValue> prevKvs = new ArrayList<>();
          Set<String> keys = scratch.keysIn(range.from(), range.to().isEmpty() ? null : range.to());
          for (String key : keys) {
            if (range.prevKv()) {
              prevKvs.add(scratch.get(key));
            }
            scratch.delete(key);
            mutations.add(new DeleteKey(key));
          }
          results.add(new TxnOpResult.Delete(keys.size(), List.copyOf(prevKvs)));
        }
        case TxnOp.Txn nested -> {
          boolean held = comparesHold(before, nested.txn());
          List<TxnOpResult> inner = new ArrayList<>();
          TxnRequest t = nested.txn();
          Rejection p =
              run(before, scratch, held ? t.success() : t.failure(), revision, mutations, inner);
          if (p != null) {
            return p;
          }
          results.add(new TxnOpResult.Txn(held, inner));
        }
      }
    }
    return null;
  }

  /**
   * Re-checks in the entity what the API edge checked ({@link TxnRules}), plus what only the
   * partition knows: leases revoked here, and keys of other partitions (a routing bug).
   */
  Rejection checkTxn(State state, Set<Long> revokedInBatch, TxnRequest txn) {
    Set<Integer> foreign = new TreeSet<>();
    Rejection p =
        TxnRules.problem(
            txn,
            settings.maxValueBytes(),
            key -> keyCheck(key, foreign),
            put -> revokedLease(state, revokedInBatch, put));
    if (p != null) {
      return p;
    }
    if (partitions > 1 && TxnRules.needsOnePartition(txn)) {
      return KvError.MALFORMED_TXN.rejection(TxnRules.INTERVAL_ONE_PARTITION);
    }
    if (!foreign.isEmpty()) {
      // The edge splits a cross-partition transaction per partition; this is a routing bug.
      return KvError.WRONG_PARTITION.rejection(
          "transaction keys of partitions "
              + foreign
              + " of keyspace '"
              + keyspace
              + "' reached partition "
              + partition);
    }
    return null;
  }

  private static Rejection revokedLease(State state, Set<Long> revokedInBatch, TxnOp.Put put) {
    long lease = put.options() == null ? 0 : put.options().lease();
    if (lease != 0
        && (state.revokedLeases().containsKey(lease) || revokedInBatch.contains(lease))) {
      return KvError.LEASE_NOT_FOUND.rejection("lease " + lease + " was revoked");
    }
    return null;
  }

  private Rejection keyCheck(String key, Set<Integer> foreign) {
    Rejection p = Keys.keyProblem(key);
    if (p != null) {
      return p;
    }
    int p2 = Keys.partitionOf(key, partitions);
    if (p2 != partition) {
      foreign.add(p2);
    }
    return null;
  }
}
