package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.kv.internal.KvPartition.Abort;
import dev.cohort.kv.internal.KvPartition.Command;
import dev.cohort.kv.internal.KvPartition.Commit;
import dev.cohort.kv.internal.KvPartition.DecisionDue;
import dev.cohort.kv.internal.KvPartition.DeleteRange;
import dev.cohort.kv.internal.KvPartition.Event;
import dev.cohort.kv.internal.KvPartition.Gone;
import dev.cohort.kv.internal.KvPartition.Live;
import dev.cohort.kv.internal.KvPartition.LockWaitOver;
import dev.cohort.kv.internal.KvPartition.LocksReleased;
import dev.cohort.kv.internal.KvPartition.Prepare;
import dev.cohort.kv.internal.KvPartition.Rejected;
import dev.cohort.kv.internal.KvPartition.Reply;
import dev.cohort.kv.internal.KvPartition.RevokeLease;
import dev.cohort.kv.internal.KvPartition.Stage;
import dev.cohort.kv.internal.KvPartition.State;
import dev.cohort.kv.internal.KvPartition.Txn;
import dev.cohort.kv.internal.KvPartition.TxnDone;
import dev.cohort.kv.internal.KvPartition.TxnPrepared;
import dev.cohort.kv.internal.KvPartition.TxnResolved;
import dev.cohort.kv.internal.KvPartition.Vote;
import dev.cohort.kv.internal.KvPartition.WriteCommand;
import dev.cohort.kv.internal.KvPartition.Written;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The two-phase-commit participant of one kv partition (the coordinator is {@link TxnCoordinator}):
 * prepares a partition's share of a cross-partition transaction, locks its keys, parks the writes
 * and prepares that touch a locked key, and commits or aborts on the coordinator's decision.
 *
 * <p>Invariants: a prepared transaction's keys are locked from the journal write that prepared it
 * to the one that resolved it, also across restarts (the locks are part of the state); while a key
 * is locked, no other write or prepare touching it is decided: it is parked, and answered {@code
 * key_locked} after {@code cohort.kv.txn.lock-wait} at the latest; the commit runs the branch the
 * prepare dry-ran on the same locked keys, so it cannot fail; the partition never aborts a prepared
 * transaction on its own (the coordinator may have decided commit), it asks the coordinator every
 * {@code cohort.kv.txn.prepare-timeout}; the last {@code cohort.kv.txn.remember-outcomes} outcomes
 * are remembered, so a repeated decision answers the same and a prepare arriving after its abort is
 * refused.
 *
 * <p>{@link #prepared} and {@link #resolved} run in the event handler and change only the state.
 * Parked commands are not persisted (nothing of them was written). Not thread-safe; used by the
 * partition's actor only.
 */
final class TxnParticipant {
  private final ActorContext<Command> context;
  private final EffectFactories<Event, Stage> effects;
  private final KvSettings settings;
  private final String entityId;
  private final int partition;
  private final TxnEvaluator evaluator;

  /** The answer to a decision for a transaction unknown here once the keyspace is gone. */
  private final Rejection dropped;

  /** Called once a commit's journal write completed, with the changes it made. */
  private final BiConsumer<Stage, List<Change>> written;

  /** Writes and prepares waiting for locked keys, in arrival order. */
  private final Map<Long, Parked> parked = new LinkedHashMap<>();

  private long lastParkedId;

  /** A command waiting for locked keys; answered {@code key_locked} after lock-wait. */
  private record Parked(Command command, ActorRef<Reply> replyTo, String key, String holder) {}

  TxnParticipant(
      ActorContext<Command> context,
      EffectFactories<Event, Stage> effects,
      KvSettings settings,
      String entityId,
      int partition,
      TxnEvaluator evaluator,
      Rejection dropped,
      BiConsumer<Stage, List<Change>> written) {
    this.context = context;
    this.effects = effects;
    this.settings = settings;
    this.entityId = entityId;
    this.partition = partition;
    this.evaluator = evaluator;
    this.dropped = dropped;
    this.written = written;
  }

  // ------------------------------------------------------------------------- applying events

  static State prepared(State s, TxnPrepared p) {
    s.prepared().put(p.txnId(), p);
    for (String key : keysOf(p.txn())) {
      s.locks().put(key, p.txnId());
    }
    return at(s, p.atMillis());
  }

  static State resolved(State s, TxnResolved r, int remember) {
    TxnPrepared p = s.prepared().remove(r.txnId());
    if (p != null) {
      for (String key : keysOf(p.txn())) {
        s.locks().remove(key, r.txnId());
      }
    }
    s.outcomes().put(r.txnId(), r);
    Iterator<String> oldest = s.outcomes().keySet().iterator();
    while (s.outcomes().size() > remember) {
      oldest.next();
      oldest.remove();
    }
    return at(s, r.atMillis());
  }

  private static State at(State s, long atMillis) {
    return new State(
        s.revision(),
        s.compactedRevision(),
        Math.max(s.lastAtMillis(), atMillis),
        s.dropped(),
        s.kvs(),
        s.history(),
        s.revokedLeases(),
        s.bytes(),
        s.historyBytes(),
        s.prepared(),
        s.locks(),
        s.outcomes());
  }

  // ---------------------------------------------------------------------------------- locks

  /**
   * Every key {@code txn} names (compares and both branches, nested transactions' too); null
   * entries are skipped. A compare over an interval and a delete of one count their first key only:
   * they run in keyspaces of one partition, where no transaction is ever prepared, so no key there
   * is locked.
   */
  private static Set<String> keysOf(TxnRequest txn) {
    Set<String> keys = new TreeSet<>();
    addKeys(txn, keys);
    return keys;
  }

  private static void addKeys(TxnRequest txn, Set<String> keys) {
    if (txn == null) {
      return;
    }
    for (Compare c : txn.compare()) {
      if (c != null && c.key() != null) {
        keys.add(c.key());
      }
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      for (TxnOp op : branch) {
        if (op instanceof TxnOp.Txn nested) {
          addKeys(nested.txn(), keys);
        } else if (op != null && op.key() != null) {
          keys.add(op.key());
        }
      }
    }
  }

  /**
   * A key {@code command} would change or read that a prepared transaction other than its own
   * holds, or null. A lease revocation counts a prepared put naming the lease, which its commit
   * would otherwise attach to a lease already gone.
   */
  private static String lockedKey(State state, Command command) {
    if (state.locks().isEmpty()) {
      return null;
    }
    return switch (command) {
      case Txn txn -> lockedAmong(state, keysOf(txn.txn()), null);
      case Prepare prepare -> lockedAmong(state, keysOf(prepare.txn()), prepare.txnId());
      case DeleteRange range -> lockedInRange(state, range);
      case RevokeLease revoke -> lockedByLease(state, revoke.lease());
      default -> null;
    };
  }

  private static String lockedAmong(State state, Set<String> keys, String self) {
    for (String key : keys) {
      String holder = state.locks().get(key);
      if (holder != null && !holder.equals(self)) {
        return key;
      }
    }
    return null;
  }

  private static String lockedInRange(State state, DeleteRange range) {
    if (range.from() == null) {
      return null;
    }
    for (String key : state.locks().keySet()) {
      if (key.compareTo(range.from()) >= 0
          && (range.to() == null || key.compareTo(range.to()) < 0)) {
        return key;
      }
    }
    return null;
  }

  private static String lockedByLease(State state, long lease) {
    for (Map.Entry<String, String> lock : state.locks().entrySet()) {
      KeyValue kv = state.kvs().get(lock.getKey());
      if (kv != null && kv.lease() == lease) {
        return lock.getKey();
      }
    }
    for (TxnPrepared p : state.prepared().values()) {
      for (List<TxnOp> branch : List.of(p.txn().success(), p.txn().failure())) {
        for (TxnOp op : branch) {
          if (op instanceof TxnOp.Put put
              && put.options() != null
              && put.options().lease() == lease) {
            return put.key();
          }
        }
      }
    }
    return null;
  }

  /** Parks the writes of {@code commands} that touch a locked key; returns the others, in order. */
  List<WriteCommand> parkLocked(State state, List<WriteCommand> commands) {
    if (state.locks().isEmpty()) {
      return commands;
    }
    List<WriteCommand> free = new ArrayList<>(commands.size());
    for (WriteCommand command : commands) {
      String locked = lockedKey(state, command);
      if (locked != null) {
        park(state, command, command.replyTo(), locked);
      } else {
        free.add(command);
      }
    }
    return free;
  }

  /** Holds {@code command} until the lock on {@code key} goes or lock-wait passes. */
  private void park(State state, Command command, ActorRef<Reply> replyTo, String key) {
    long id = ++lastParkedId;
    parked.put(id, new Parked(command, replyTo, key, state.locks().get(key)));
    context.scheduleOnce(settings.txnLockWait(), context.getSelf(), new LockWaitOver(id));
  }

  ReplyEffect<Event, Stage> onLockWaitOver(LockWaitOver over) {
    Parked p = parked.remove(over.parkedId());
    if (p == null) {
      return effects.noReply();
    }
    return effects.reply(p.replyTo(), keyLocked(p));
  }

  private Rejected keyLocked(Parked p) {
    return new Rejected(
        KvError.KEY_LOCKED.rejection(
            "key '"
                + p.key()
                + "' is locked by the prepared cross-partition transaction "
                + p.holder()
                + "; waited at most cohort.kv.txn.lock-wait ("
                + settings.txnLockWait().toMillis()
                + " ms)"));
  }

  /**
   * The parked command {@code released} names, taken out of the parked ones, when its keys are free
   * now; null when it is still blocked (it stays parked with its deadline) or was answered.
   */
  Command unpark(State state, LocksReleased released) {
    Parked p = parked.get(released.parkedId());
    if (p == null || lockedKey(state, p.command()) != null) {
      return null;
    }
    parked.remove(released.parkedId());
    return p.command();
  }

  /** Lets every parked command try again; those still blocked stay parked with their deadline. */
  private void releaseParked() {
    for (long id : parked.keySet()) {
      context.getSelf().tell(new LocksReleased(id));
    }
  }

  /** Answers every parked command {@code key_locked}: the entity stops, they wrote nothing. */
  void stopped() {
    for (long id : List.copyOf(parked.keySet())) {
      Parked p = parked.remove(id);
      p.replyTo().tell(keyLocked(p));
    }
  }

  /**
   * Asks for the decision of every prepared transaction when its wait is over: a prepared
   * transaction outlives a restart, and one prepared before an outage longer than prepare-timeout
   * asks at once.
   */
  void recovered(State state) {
    long now = System.currentTimeMillis();
    for (TxnPrepared p : state.prepared().values()) {
      long due = p.atMillis() + settings.txnPrepareTimeout().toMillis() - now;
      context.scheduleOnce(
          Duration.ofMillis(Math.max(0, due)), context.getSelf(), new DecisionDue(p.txnId()));
    }
  }

  // ---------------------------------------------------------------------------------- phases

  ReplyEffect<Event, Stage> onPrepare(Live live, Prepare prepare) {
    State state = live.state();
    TxnPrepared again = state.prepared().get(prepare.txnId());
    if (again != null) {
      return effects.reply(prepare.replyTo(), vote(again));
    }
    if (state.outcomes().containsKey(prepare.txnId())) {
      return effects.reply(
          prepare.replyTo(),
          new Rejected(
              KvError.TXN_FINISHED.rejection(
                  "cross-partition transaction " + prepare.txnId() + " already finished")));
    }
    Rejection problem = evaluator.checkTxn(state, Set.of(), prepare.txn());
    if (problem == null && TxnRules.hasNested(prepare.txn())) {
      // The router runs a transaction with a nested one in one partition only.
      problem = KvError.MALFORMED_TXN.rejection(TxnRules.NESTED_ONE_PARTITION);
    }
    if (problem != null) {
      return effects.reply(prepare.replyTo(), new Rejected(problem));
    }
    String locked = lockedKey(state, prepare);
    if (locked != null) {
      park(state, prepare, prepare.replyTo(), locked);
      return effects.noReply();
    }
    TxnRequest txn = prepare.txn();
    Overlay view = new Overlay(state.kvs());
    long revision = state.revision() + 1;
    // Both branches are dry-run now: the keys stay locked until the decision, so whichever the
    // coordinator picks runs then exactly as it ran here, and the commit cannot fail.
    TxnPrepared prepared =
        new TxnPrepared(
            prepare.txnId(),
            txn,
            TxnEvaluator.comparesHold(view, txn),
            TxnEvaluator.runBranch(view, txn.success(), revision).problem(),
            TxnEvaluator.runBranch(view, txn.failure(), revision).problem(),
            Math.max(System.currentTimeMillis(), state.lastAtMillis()));
    return effects
        .persist(prepared)
        .thenRun(
            s ->
                context.scheduleOnce(
                    settings.txnPrepareTimeout(),
                    context.getSelf(),
                    new DecisionDue(prepare.txnId())))
        .thenReply(prepare.replyTo(), s -> vote(prepared));
  }

  private static Vote vote(TxnPrepared p) {
    return new Vote(p.txnId(), p.comparesHold(), p.successProblem(), p.failureProblem());
  }

  /**
   * Runs the chosen branch of a prepared transaction and releases its locks in one journal write; a
   * transaction no longer prepared here is answered from the remembered outcomes.
   */
  ReplyEffect<Event, Stage> onCommit(Live live, Commit commit) {
    TxnPrepared prepared = live.state().prepared().get(commit.txnId());
    if (prepared == null) {
      Rejection unknown = notPrepared(commit.txnId());
      return effects.reply(commit.replyTo(), remembered(live.state(), commit.txnId(), unknown));
    }
    return commit(live.state(), prepared, commit);
  }

  /**
   * As in a live partition: a transaction prepared before the keyspace was deleted still commits
   * (other partitions may have committed it); one unknown here is answered {@code
   * keyspace_not_found}.
   */
  ReplyEffect<Event, Stage> onCommit(Gone gone, Commit commit) {
    TxnPrepared prepared = gone.state().prepared().get(commit.txnId());
    if (prepared == null) {
      return effects.reply(commit.replyTo(), remembered(gone.state(), commit.txnId(), dropped));
    }
    return commit(gone.state(), prepared, commit);
  }

  private ReplyEffect<Event, Stage> commit(State state, TxnPrepared prepared, Commit commit) {
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    TxnRequest txn = prepared.txn();
    Overlay view = new Overlay(state.kvs());
    long revision = state.revision() + 1;
    TxnEvaluator.Branch branch =
        TxnEvaluator.runBranch(view, commit.succeeded() ? txn.success() : txn.failure(), revision);
    if (branch.problem() != null) {
      // The prepare ran this branch on the same locked keys and voted that it can run.
      throw new IllegalStateException(
          "prepared branch of " + commit.txnId() + " failed at commit: " + branch.problem());
    }
    List<Event> events = new ArrayList<>(2);
    List<Change> changes = new ArrayList<>();
    long at = state.revision();
    if (!branch.mutations().isEmpty()) {
      at = revision;
      events.add(new Written(revision, now, branch.mutations(), 0));
      view.apply(branch.mutations(), revision, now, changes);
    }
    TxnResult result =
        new TxnResult(new Header(partition, at), commit.succeeded(), branch.results());
    // One journal write holds the ops and the resolution: a crash keeps both or neither.
    events.add(new TxnResolved(commit.txnId(), true, now));
    return effects
        .persist(events)
        .thenRun(
            s -> {
              written.accept(s, changes);
              releaseParked();
            })
        .thenReply(commit.replyTo(), s -> new TxnDone(commit.txnId(), true, result));
  }

  /**
   * Releases the locks of {@code abort}'s transaction. Journaled even for a transaction this
   * partition never prepared, so that a prepare arriving late is refused; a remembered outcome is
   * answered as it was.
   */
  ReplyEffect<Event, Stage> onAbort(Live live, Abort abort) {
    State state = live.state();
    TxnResolved outcome = state.outcomes().get(abort.txnId());
    if (outcome != null && !state.prepared().containsKey(abort.txnId())) {
      return effects.reply(abort.replyTo(), new TxnDone(abort.txnId(), outcome.committed(), null));
    }
    return abort(state, abort);
  }

  /**
   * Releases the locks of a transaction prepared before the keyspace was deleted; no prepare can
   * come any more, so an unknown one is answered from memory ({@code keyspace_not_found}).
   */
  ReplyEffect<Event, Stage> onAbort(Gone gone, Abort abort) {
    if (!gone.state().prepared().containsKey(abort.txnId())) {
      return effects.reply(abort.replyTo(), remembered(gone.state(), abort.txnId(), dropped));
    }
    return abort(gone.state(), abort);
  }

  private ReplyEffect<Event, Stage> abort(State state, Abort abort) {
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    return effects
        .persist(new TxnResolved(abort.txnId(), false, now))
        .thenRun(s -> releaseParked())
        .thenReply(abort.replyTo(), s -> new TxnDone(abort.txnId(), false, null));
  }

  /** The answer to a decision for a transaction no longer prepared here. */
  private static Reply remembered(State state, String txnId, Rejection unknown) {
    TxnResolved outcome = state.outcomes().get(txnId);
    if (outcome != null) {
      return new TxnDone(txnId, outcome.committed(), null);
    }
    return new Rejected(unknown);
  }

  /** Why a decision for {@code txnId} finds nothing here, in a partition that is live. */
  private Rejection notPrepared(String txnId) {
    return KvError.TXN_NOT_PREPARED.rejection(
        "cross-partition transaction "
            + txnId
            + " is neither prepared nor remembered in"
            + " partition "
            + partition);
  }

  ReplyEffect<Event, Stage> onDecisionDue(Stage stage, DecisionDue due) {
    if (!stage.state().prepared().containsKey(due.txnId())) {
      return effects.noReply();
    }
    // Never abort on our own: the coordinator may have decided commit, and other partitions may
    // have applied it. Ask it; an undecided coordinator decides abort (presumed abort).
    context
        .getLog()
        .info(
            "partition {} still holds prepared transaction {}; asking its coordinator",
            entityId,
            due.txnId());
    ClusterSharding.get(context.getSystem())
        .entityRefFor(TxnCoordinator.ENTITY_TYPE_KEY, due.txnId())
        .tell(new TxnCoordinator.Resolve(entityId));
    context.scheduleOnce(settings.txnPrepareTimeout(), context.getSelf(), due);
    return effects.noReply();
  }
}
