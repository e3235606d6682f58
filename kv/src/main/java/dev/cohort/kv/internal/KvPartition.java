package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.persistence.WriterFence;
import dev.cohort.sharding.EntityTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One partition of a CP keyspace: the single writer of its keys, event-sourced.
 *
 * <p>Invariants: the revision strictly increases with every write that changed a key (a write
 * that changes nothing keeps it); every reply to a write is sent after the journal write that holds
 * it completed (a reply sent first could acknowledge a write that a crash then loses); reads are
 * served from memory, and since Pekko stashes commands while a write is in flight, a read never
 * sees an unacknowledged write.
 *
 * <p>Throughput: a node's {@link PartitionBatcher} sends the writes that queued up while the
 * previous batch was in flight as one {@link Batch}; the entity decides them in order against an
 * overlay of the state, persists all resulting events in one journal write, and then answers each.
 *
 * <p>History: every change is kept (with the key's previous value) for reads at a past revision
 * and for watch resumes, until compacted by {@code cohort.kv.history.*}. Compaction runs in the
 * event handler with the events' timestamps, so replay rebuilds the same history.
 *
 * <p>Cross-partition transactions ({@link TxnCoordinator}): a {@link Prepare} journals the
 * partition's share and locks its keys; writes and other prepares touching a locked key are
 * parked until the {@link Commit} or {@link Abort} releases it, or answered {@code key_locked}
 * after {@code cohort.kv.txn.lock-wait}. Reads serve the last committed value. A prepared
 * transaction without a decision after {@code cohort.kv.txn.prepare-timeout} makes the partition
 * ask its coordinator; the partition never aborts it on its own.
 *
 * <p>The state's collections are mutable and only the event handler changes them; the snapshot
 * adapter copies them, because a snapshot is serialized after the entity has moved on.
 *
 * <p>Entity id: {@code <keyspace>:<incarnation>:<partitions>:<partition>}.
 */
public final class KvPartition
    extends EventSourcedBehaviorWithEnforcedReplies<
        KvPartition.Command, KvPartition.Event, KvPartition.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "kv-partition");

  // ---------------------------------------------------------------------------------- Command

  /** Every message a partition accepts. */
  public sealed interface Command extends CohortSerializable {}

  /** A command that writes; the batcher groups these. */
  public sealed interface WriteCommand extends Command {
    ActorRef<Reply> replyTo();
  }

  /** A transaction; single puts and deletes are transactions without compares. */
  public record Txn(TxnRequest txn, ActorRef<Reply> replyTo) implements WriteCommand {}

  /** Deletes every key in {@code [from, to)} ({@code to} null: no upper bound). */
  public record DeleteRange(String from, String to, boolean prevKv, ActorRef<Reply> replyTo)
      implements WriteCommand {}

  /** Deletes the keys of a revoked lease and refuses later puts that name it. */
  public record RevokeLease(long lease, ActorRef<Reply> replyTo) implements WriteCommand {}

  /** Writes decided in order and persisted in one journal write; answers {@link BatchDone}. */
  public record Batch(List<WriteCommand> commands, ActorRef<BatchDone> replyTo)
      implements Command {}

  /** Reads one key, at {@code revision} when it is positive. */
  public record Get(String key, long revision, ActorRef<Reply> replyTo) implements Command {}

  /** Reads keys in {@code [from, to)}, at most {@code limit} (0: all). */
  public record Range(
      String from, String to, int limit, boolean keysOnly, boolean countOnly,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** The keys attached to a lease. */
  public record LeaseKeys(long lease, ActorRef<Reply> replyTo) implements Command {}

  /** Key count and size. */
  public record Stats(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Starts feeding {@code subscriber} the changes matching {@code filter} after {@code
   * afterRevision} (negative: from now). Answered with a {@link KvWatcher.Feed}.
   */
  public record Subscribe(Filter filter, long afterRevision, ActorRef<KvWatcher.Command> subscriber)
      implements Command {}

  public record Unsubscribe(ActorRef<KvWatcher.Command> subscriber) implements Command {}

  /**
   * Answers {@link Owner} once {@code key} has the lowest create revision of the keys with {@code
   * prefix} (lock and election queues), or {@code lock_not_found} once the key is gone. With
   * {@code waits} false it answers at once, {@code not_first} when another key is ahead.
   */
  public record AwaitFirst(String prefix, String key, boolean waits, ActorRef<Reply> replyTo)
      implements Command {}

  /** Marks the partition of a deleted keyspace: every later command is refused. */
  public record Drop(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Stops the entity through sharding's passivation; the next command recovers it from the
   * journal. For operators and tests that exercise recovery.
   */
  public enum Passivate implements Command {
    INSTANCE
  }

  /** A subscriber stopped (sent by the watch on it). */
  record SubscriberGone(ActorRef<KvWatcher.Command> subscriber) implements Command {}

  /**
   * Phase one of a cross-partition transaction {@code txnId}: {@code txn} holds only this
   * partition's compares and ops. Checks it like a {@link Txn}, evaluates the compares, dry-runs
   * both branches, locks every key it names and journals all of that before answering a {@link
   * Vote}; a restarted partition still holds the locks. Waits like a write while another prepared
   * transaction holds one of the keys. Repeating it answers the same vote.
   */
  public record Prepare(String txnId, TxnRequest txn, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Phase two, commit: runs the prepared ops of the branch the coordinator chose ({@code
   * succeeded}: the success ops) and releases the locks, in one journal write. Answers {@link
   * TxnDone}; repeating it answers the remembered outcome.
   */
  public record Commit(String txnId, boolean succeeded, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Phase two, abort: releases the locks without writing. Journaled even for a transaction this
   * partition never prepared, so that a prepare arriving late is refused. Answers {@link TxnDone}.
   */
  public record Abort(String txnId, ActorRef<Reply> replyTo) implements Command {}

  /** A prepared transaction waited cohort.kv.txn.prepare-timeout for its decision. */
  record DecisionDue(String txnId) implements Command {}

  /** A parked write or prepare waited cohort.kv.txn.lock-wait. */
  record LockWaitOver(long parkedId) implements Command {}

  /**
   * The journal's answer to a {@link ReadFence} check: the highest sequence number it holds for
   * this partition above the checked one ({@code -1} with an error when it did not answer).
   */
  record FenceChecked(long highest, String error) implements Command {}

  /** A prepared transaction finished: the parked command may proceed if its keys are free. */
  record LocksReleased(long parkedId) implements Command {}

  // ---------------------------------------------------------------------------------- Reply

  /** Every answer of a partition. */
  public sealed interface Reply extends CohortSerializable {}

  public record TxnReply(TxnResult result) implements Reply {}

  public record DeleteReply(Header header, long deleted, List<KeyValue> prevKvs) implements Reply {}

  public record GetReply(Header header, Optional<KeyValue> kv) implements Reply {}

  public record RangeReply(Header header, List<KeyValue> kvs, long count, boolean more)
      implements Reply {}

  public record LeaseKeysReply(Header header, List<String> keys) implements Reply {}

  public record StatsReply(Header header, long keys, long bytes) implements Reply {}

  public record Owner(Header header, KeyValue kv) implements Reply {}

  public record Done(Header header) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  /**
   * A yes vote of a {@link Prepare}: the keys are locked. {@code comparesHold} says whether every
   * compare on this partition holds; a problem (null: none) says that branch cannot run here (as a
   * single-partition transaction taking it would be rejected with it).
   */
  public record Vote(
      String txnId, boolean comparesHold, Rejection successProblem, Rejection failureProblem)
      implements Reply {}

  /**
   * A {@link Commit} or {@link Abort} is journaled; {@code result} holds this partition's op
   * results in its sub-request's order and its header, for the commit that applied the ops only
   * (null for an abort and for a repeated commit).
   */
  public record TxnDone(String txnId, boolean committed, TxnResult result) implements Reply {}

  /** The answer to a {@link Batch}, once every command in it was answered. */
  public record BatchDone(int commands, long revision) implements CohortSerializable {}

  // ---------------------------------------------------------------------------------- Event

  public sealed interface Event extends CohortSerializable {}

  /**
   * Keys written at {@code revision} (the state's revision when {@code mutations} is empty); when
   * {@code revokedLease} is not 0 the lease was revoked and its keys are among the deletes.
   */
  public record Written(long revision, long atMillis, List<Mutation> mutations, long revokedLease)
      implements Event {}

  /** The keyspace was deleted. */
  public record Dropped(long atMillis) implements Event {}

  /** A cross-partition transaction was prepared here: its keys are locked until it resolves. */
  public record TxnPrepared(
      String txnId, TxnRequest txn, boolean comparesHold, Rejection successProblem,
      Rejection failureProblem, long atMillis)
      implements Event {}

  /**
   * A cross-partition transaction resolved here; a commit's {@link Written} is in the same
   * journal write. The op results are not kept (they may hold whole values): a repeated commit
   * learns the outcome only.
   */
  public record TxnResolved(String txnId, boolean committed, long atMillis) implements Event {}

  /** One key change inside {@link Written}. */
  public sealed interface Mutation extends CohortSerializable {}

  /** The key's complete new state, decided by the command handler. */
  public record PutKv(KeyValue kv) implements Mutation {}

  public record DeleteKey(String key) implements Mutation {}

  // ---------------------------------------------------------------------------------- State

  /**
   * The partition's keys and history.
   *
   * @param revision the revision of the last write
   * @param compactedRevision history holds every change after this revision
   * @param lastAtMillis the timestamp of the last event (event timestamps never go back)
   * @param dropped whether the keyspace was deleted
   * @param kvs the current keys
   * @param history the changes after {@code compactedRevision}, oldest first
   * @param revokedLeases recently revoked leases and when
   * @param bytes the bytes of all keys and values
   * @param historyBytes the bytes of the keys and values (new and previous) in {@code history}
   * @param prepared the prepared cross-partition transactions awaiting their decision, by id
   * @param locks the keys of the prepared transactions, to the id of the one holding each
   * @param outcomes the latest resolved cross-partition transactions, oldest first (at most
   *     cohort.kv.txn.remember-outcomes)
   */
  public record State(
      long revision,
      long compactedRevision,
      long lastAtMillis,
      boolean dropped,
      TreeMap<String, KeyValue> kvs,
      ArrayList<Change> history,
      HashMap<Long, Long> revokedLeases,
      long bytes,
      long historyBytes,
      HashMap<String, TxnPrepared> prepared,
      HashMap<String, String> locks,
      LinkedHashMap<String, TxnResolved> outcomes)
      implements CohortSerializable {

    public State {
      // Snapshots written before cross-partition transactions existed lack these three.
      prepared = prepared == null ? new HashMap<>() : prepared;
      locks = locks == null ? new HashMap<>() : locks;
      outcomes = outcomes == null ? new LinkedHashMap<>() : outcomes;
    }

    public static State empty() {
      return new State(
          0, 0, 0, false, new TreeMap<>(), new ArrayList<>(), new HashMap<>(), 0, 0, null, null,
          null);
    }

    State prepare(TxnPrepared p) {
      prepared.put(p.txnId(), p);
      for (String key : keysOf(p.txn())) {
        locks.put(key, p.txnId());
      }
      return at(p.atMillis());
    }

    State resolve(TxnResolved r, int remember) {
      TxnPrepared p = prepared.remove(r.txnId());
      if (p != null) {
        for (String key : keysOf(p.txn())) {
          locks.remove(key, r.txnId());
        }
      }
      outcomes.put(r.txnId(), r);
      Iterator<String> oldest = outcomes.keySet().iterator();
      while (outcomes.size() > remember) {
        oldest.next();
        oldest.remove();
      }
      return at(r.atMillis());
    }

    private State at(long atMillis) {
      return new State(
          revision, compactedRevision, Math.max(lastAtMillis, atMillis), dropped, kvs, history,
          revokedLeases, bytes, historyBytes, prepared, locks, outcomes);
    }

    State applyWritten(Written w, KvSettings settings) {
      long size = bytes;
      long historySize = historyBytes;
      for (Mutation m : w.mutations()) {
        switch (m) {
          case PutKv put -> {
            KeyValue kv = put.kv();
            KeyValue prev = kvs.put(kv.key(), kv);
            size += sizeOf(kv) - sizeOf(prev);
            historySize += sizeOf(kv) + sizeOf(prev);
            history.add(new Change(w.revision(), w.atMillis(), kv.key(), kv, prev));
          }
          case DeleteKey delete -> {
            KeyValue prev = kvs.remove(delete.key());
            if (prev != null) {
              size -= sizeOf(prev);
              historySize += sizeOf(prev);
              history.add(new Change(w.revision(), w.atMillis(), delete.key(), null, prev));
            }
          }
        }
      }
      if (w.revokedLease() != 0) {
        revokedLeases.put(w.revokedLease(), w.atMillis());
      }
      long forgetBefore = w.atMillis() - settings.leaseRevokedRetention().toMillis();
      revokedLeases.values().removeIf(at -> at < forgetBefore);
      long newRevision = w.mutations().isEmpty() ? revision : w.revision();
      int cut = compactionCut(newRevision, w.atMillis(), historySize, settings);
      long compacted = compactedRevision;
      if (cut > 0) {
        compacted = history.get(cut - 1).revision();
        List<Change> removed = history.subList(0, cut);
        for (Change c : removed) {
          historySize -= sizeOf(c.kv()) + sizeOf(c.prev());
        }
        removed.clear();
      }
      return new State(
          newRevision, compacted, Math.max(lastAtMillis, w.atMillis()), this.dropped, kvs, history,
          revokedLeases, size, historySize, prepared, locks, outcomes);
    }

    /**
     * How many of the oldest changes to compact: those older than keep-revisions or keep-duration,
     * and as many more as bring the history under max-bytes. Removal is amortized: it waits until
     * an eighth of the history (at least 64 changes) is removable, unless over max-bytes.
     */
    private int compactionCut(
        long newRevision, long nowMillis, long historySize, KvSettings settings) {
      if (history.isEmpty()) {
        return 0;
      }
      long byRevision = newRevision - settings.historyKeepRevisions();
      long oldestKeptAt = nowMillis - settings.historyKeepDuration().toMillis();
      int cut = firstIndexAfter(byRevision);
      int byTime = firstIndexAtOrAfterTime(oldestKeptAt);
      cut = Math.max(cut, byTime);
      boolean overSize = historySize > settings.historyMaxBytes();
      if (overSize) {
        // Leave about three quarters of the budget, so that the next writes do not compact again.
        long excess = historySize - settings.historyMaxBytes() * 3 / 4;
        int bySize = 0;
        while (excess > 0 && bySize < history.size()) {
          Change c = history.get(bySize++);
          excess -= sizeOf(c.kv()) + sizeOf(c.prev());
        }
        cut = Math.max(cut, bySize);
      }
      // Never split one revision's changes: move the cut to a revision boundary.
      while (cut > 0 && cut < history.size()
          && history.get(cut).revision() == history.get(cut - 1).revision()) {
        cut++;
      }
      if (!overSize && ((cut < 64 && cut < history.size()) || cut < history.size() / 8)) {
        return 0;
      }
      return cut;
    }

    private int firstIndexAfter(long revision) {
      int lo = 0;
      int hi = history.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (history.get(mid).revision() <= revision) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    private int firstIndexAtOrAfterTime(long atMillis) {
      int lo = 0;
      int hi = history.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (history.get(mid).atMillis() < atMillis) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    State drop(Dropped d) {
      return new State(
          revision, compactedRevision, Math.max(lastAtMillis, d.atMillis()), true, kvs, history,
          revokedLeases, bytes, historyBytes, prepared, locks, outcomes);
    }

    /** A copy whose collections no later event changes, for snapshots. */
    State copy() {
      return new State(
          revision, compactedRevision, lastAtMillis, dropped, new TreeMap<>(kvs),
          new ArrayList<>(history), new HashMap<>(revokedLeases), bytes, historyBytes,
          new HashMap<>(prepared), new HashMap<>(locks), new LinkedHashMap<>(outcomes));
    }

    static long sizeOf(KeyValue kv) {
      return kv == null ? 0 : kv.key().length() + (long) kv.value().length;
    }
  }

  // ---------------------------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, KvSettings settings) {
    KvMetrics metrics = KvMetrics.get(system);
    EntityTypes.init(system, Entity.of(
                ENTITY_TYPE_KEY,
                entityContext ->
                    Behaviors.setup(
                        context ->
                            new KvPartition(
                                context, entityContext.getEntityId(), settings, metrics,
                                entityContext.getShard()))));
  }

  public static String entityId(String keyspace, long incarnation, int partitions, int partition) {
    return keyspace + ":" + incarnation + ":" + partitions + ":" + partition;
  }

  public static Behavior<Command> create(String entityId, KvSettings settings, KvMetrics metrics) {
    return Behaviors.setup(context -> new KvPartition(context, entityId, settings, metrics, null));
  }

  private final ActorContext<Command> context;
  private final String entityId;
  private final String keyspace;
  private final int partitions;
  private final int partition;
  private final KvSettings settings;
  private final KvMetrics metrics;
  /** Open watches on this partition; not persisted: watchers resubscribe after a restart. */
  private final Map<ActorRef<KvWatcher.Command>, Filter> subscribers = new HashMap<>();
  /** Lock and election waiters, in arrival order; not persisted: waiters ask again. */
  private final List<AwaitFirst> waiters = new ArrayList<>();
  /** The shard hosting this entity (null outside sharding, as in unit tests). */
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /**
   * Writes and prepares waiting for keys locked by a prepared transaction, in arrival order; not
   * persisted: nothing of them was written, and when the entity stops they are answered {@code
   * key_locked}.
   */
  private final Map<Long, Parked> parked = new LinkedHashMap<>();
  private long lastParkedId;

  /** A command waiting for locked keys; answered {@code key_locked} after lock-wait. */
  private record Parked(Command command, ActorRef<Reply> replyTo, String key, String holder) {}

  /** Answers given from memory wait for the journal to confirm no other node wrote meanwhile. */
  private final ReadFence readFence;

  private KvPartition(
      ActorContext<Command> context, String entityId, KvSettings settings, KvMetrics metrics,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.context = context;
    this.entityId = entityId;
    String[] parts = entityId.split(":");
    this.keyspace = parts[0];
    this.partitions = Integer.parseInt(parts[2]);
    this.partition = Integer.parseInt(parts[3]);
    this.settings = settings;
    this.metrics = metrics;
    this.shard = shard;
    this.readFence =
        new ReadFence(
            WriterFence.of(context.getSystem()),
            PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId).id(),
            context);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), 2);
  }

  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    // snapshotEvery alone may miss a multiple inside one multi-event write; this catches it.
    return sequenceNr % settings.snapshotEveryEvents() == 0;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.copy();
      }

      @Override
      public State fromJournal(Object from) {
        // Copied too: an in-memory snapshot store hands out the object it holds, which this
        // entity's event handler would otherwise change under the store.
        return ((State) from).copy();
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), state -> onStopped())
        .build();
  }

  private void onStopped() {
    metrics.partitionStopped(entityId);
    // Parked commands wrote nothing; their senders learn it now rather than by a timeout.
    for (long id : List.copyOf(parked.keySet())) {
      Parked p = parked.remove(id);
      p.replyTo().tell(keyLocked(p));
    }
  }

  private void onRecovered(State state) {
    metrics.keys(entityId, keyspace, state.kvs().size());
    // A prepared transaction outlives a restart; ask for its decision when its wait is over,
    // at once when it was prepared before an outage longer than prepare-timeout.
    long now = System.currentTimeMillis();
    for (TxnPrepared p : state.prepared().values()) {
      long due = p.atMillis() + settings.txnPrepareTimeout().toMillis() - now;
      context.scheduleOnce(
          Duration.ofMillis(Math.max(0, due)), context.getSelf(), new DecisionDue(p.txnId()));
    }
  }

  // ---------------------------------------------------------------------------------- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Batch.class, (state, batch) -> onWrites(state, batch.commands(), batch.replyTo()))
        .onCommand(WriteCommand.class, (state, write) -> onWrites(state, List.of(write), null))
        .onCommand(Get.class, this::onGet)
        .onCommand(Range.class, this::onRange)
        .onCommand(LeaseKeys.class, this::onLeaseKeys)
        .onCommand(Stats.class, this::onStats)
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, (state, c) -> onUnsubscribe(c.subscriber()))
        .onCommand(SubscriberGone.class, (state, c) -> onUnsubscribe(c.subscriber()))
        .onCommand(AwaitFirst.class, this::onAwaitFirst)
        .onCommand(Drop.class, this::onDrop)
        .onCommand(Passivate.class, (state, c) -> onPassivate())
        .onCommand(Prepare.class, this::onPrepare)
        .onCommand(Commit.class, this::onCommit)
        .onCommand(Abort.class, this::onAbort)
        .onCommand(DecisionDue.class, this::onDecisionDue)
        .onCommand(LockWaitOver.class, (state, c) -> onLockWaitOver(c.parkedId()))
        .onCommand(LocksReleased.class, this::onLocksReleased)
        .onCommand(FenceChecked.class, this::onFenceChecked)
        .build();
  }

  /**
   * Answers from memory: at once on a node-local journal; on the shared journal once the {@link
   * ReadFence} confirmed that no other node wrote this partition since its last event.
   */
  private ReplyEffect<Event, State> answerFromMemory(ActorRef<Reply> replyTo, Reply reply) {
    if (!readFence.enabled()) {
      return Effect().reply(replyTo, reply);
    }
    readFence.hold(replyTo, reply, lastSequenceNumber(context));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onFenceChecked(State state, FenceChecked checked) {
    if (readFence.checked(checked, lastSequenceNumber(context), entityId)) {
      context
          .getLog()
          .warn(
              "kv partition {} was written by another node since its last event (this node was"
                  + " unreachable while it moved); stopping, to reload from the journal",
              entityId);
      return Effect().stop().thenNoReply();
    }
    return Effect().noReply();
  }

  private Header header(State state) {
    return new Header(partition, state.revision());
  }

  private static Rejection droppedRejection(String keyspace) {
    return Rejection.notFound("keyspace_not_found", "keyspace '" + keyspace + "' was deleted");
  }

  /** An answer to send once the batch's journal write completed. */
  private record Pending(ActorRef<Reply> replyTo, Reply reply) {}

  /**
   * Decides {@code commands} in order against an overlay of the state and persists the events of
   * all of them in one journal write. Every reply waits for that write, including rejections and
   * reads inside transactions, which may have seen an earlier write of the same batch.
   */
  private ReplyEffect<Event, State> onWrites(
      State state, List<WriteCommand> commands, ActorRef<BatchDone> batcher) {
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    Overlay view = new Overlay(state.kvs());
    List<Event> events = new ArrayList<>();
    List<Change> changes = new ArrayList<>();
    List<Pending> replies = new ArrayList<>(commands.size());
    long revision = state.revision();
    Set<Long> revokedInBatch = new HashSet<>();
    for (WriteCommand command : commands) {
      if (state.dropped()) {
        replies.add(new Pending(command.replyTo(), new Rejected(droppedRejection(keyspace))));
        continue;
      }
      String locked = lockedKey(state, command);
      if (locked != null) {
        park(state, command, command.replyTo(), locked);
        continue;
      }
      Decision d =
          switch (command) {
            case Txn txn -> decideTxn(state, revokedInBatch, view, txn.txn(), revision + 1);
            case DeleteRange range -> decideDeleteRange(view, range);
            case RevokeLease revoke -> {
              revokedInBatch.add(revoke.lease());
              yield decideRevoke(view, revoke);
            }
          };
      if (d.mutations != null) {
        long eventRevision = d.mutations.isEmpty() ? revision : revision + 1;
        events.add(new Written(eventRevision, now, d.mutations, d.revokedLease));
        view.apply(d.mutations, eventRevision, now, changes);
        revision = eventRevision;
      }
      replies.add(new Pending(command.replyTo(), d.reply.apply(new Header(partition, revision))));
    }
    EffectBuilder<Event, State> effect;
    if (events.isEmpty()) {
      // Nothing written: the answers come from memory (reads, failed compares) and are fenced.
      effect =
          Effect()
              .none()
              .thenRun(
                  s ->
                      replies.forEach(
                          p -> {
                            if (readFence.enabled()) {
                              readFence.hold(p.replyTo(), p.reply(), lastSequenceNumber(context));
                            } else {
                              p.replyTo().tell(p.reply());
                            }
                          }));
    } else {
      int eventCount = events.size();
      effect =
          Effect()
              .persist(events)
              .thenRun(
                  s -> {
                    // Metered before the replies go out, so that a client that has its answer
                    // also finds its write in a scrape.
                    metrics.batch(eventCount);
                    metrics.keys(entityId, keyspace, s.kvs().size());
                    replies.forEach(p -> p.replyTo().tell(p.reply()));
                    publish(s, changes);
                    checkWaiters(s);
                  });
    }
    // A write sent alone (not in a batch) was answered above; only a batch's sender waits more.
    return batcher == null
        ? effect.thenNoReply()
        : effect.thenReply(batcher, s -> new BatchDone(commands.size(), s.revision()));
  }

  /** What one write command decided: the mutations to persist (null: none) and its reply. */
  private record Decision(
      List<Mutation> mutations, long revokedLease,
      java.util.function.Function<Header, Reply> reply) {
    static Decision reject(Rejection rejection) {
      Rejected r = new Rejected(rejection);
      return new Decision(null, 0, h -> r);
    }
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
        branch.mutations().isEmpty() ? null : branch.mutations(), 0,
        h -> new TxnReply(new TxnResult(h, succeeded, answered)));
  }

  private static boolean comparesHold(Overlay view, TxnRequest txn) {
    for (Compare compare : txn.compare()) {
      if (!compare.holds(view.get(compare.key()))) {
        return false;
      }
    }
    return true;
  }

  /** What a branch's ops do: mutations and results, or the problem that refuses the branch. */
  private record Branch(List<Mutation> mutations, List<TxnOpResult> results, Rejection problem) {}

  /** Runs {@code ops} in order on a scratch view, so a get after a put sees the put. */
  private static Branch runBranch(Overlay view, List<TxnOp> ops, long revision) {
    Overlay scratch = view.child();
    List<Mutation> mutations = new ArrayList<>();
    List<TxnOpResult> results = new ArrayList<>(ops.size());
    for (TxnOp op : ops) {
      switch (op) {
        case TxnOp.Put put -> {
          KeyValue prev = scratch.get(put.key());
          PutOptions o = put.options() == null ? PutOptions.NONE : put.options();
          if (o.ignoreLease() && prev == null) {
            return new Branch(List.of(), List.of(), Rejection.notFound(
                "key_not_found", "ignoreLease needs an existing key; '" + put.key() + "' has none"));
          }
          long lease = o.ignoreLease() ? prev.lease() : o.lease();
          KeyValue kv =
              new KeyValue(
                  put.key(), put.value(), prev == null ? revision : prev.createRevision(), revision,
                  prev == null ? 1 : prev.version() + 1, lease);
          scratch.put(kv);
          mutations.add(new PutKv(kv));
          results.add(new TxnOpResult.Put(o.prevKv() ? Optional.ofNullable(prev) : Optional.empty()));
        }
        case TxnOp.Get get -> results.add(new TxnOpResult.Get(Optional.ofNullable(scratch.get(get.key()))));
        case TxnOp.Delete delete -> {
          KeyValue prev = scratch.get(delete.key());
          if (prev != null) {
            scratch.delete(delete.key());
            mutations.add(new DeleteKey(delete.key()));
          }
          List<KeyValue> prevKvs = delete.prevKv() && prev != null ? List.of(prev) : List.of();
          results.add(new TxnOpResult.Delete(prev == null ? 0 : 1, prevKvs));
        }
      }
    }
    return new Branch(List.copyOf(mutations), List.copyOf(results), null);
  }

  /** Re-checks in the entity what the API edge checked: a bad request must change nothing. */
  private Rejection checkTxn(State state, Set<Long> revokedInBatch, TxnRequest txn) {
    if (txn == null || txn.compare() == null || txn.success() == null || txn.failure() == null) {
      return Rejection.invalid("malformed_txn", "transaction is missing its compare or op lists");
    }
    Set<Integer> foreign = new TreeSet<>();
    for (Compare c : txn.compare()) {
      if (c == null || c.target() == null || c.op() == null
          || (c.target() == Compare.Target.VALUE && c.value() == null)) {
        return Rejection.invalid("malformed_txn", "a compare needs a key, target, op and operand");
      }
      Rejection p = keyCheck(c.key(), foreign);
      if (p != null) {
        return p;
      }
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      Set<String> written = new HashSet<>();
      for (TxnOp op : branch) {
        if (op == null) {
          return Rejection.invalid("malformed_txn", "a transaction op is null");
        }
        Rejection p = keyCheck(op.key(), foreign);
        if (p != null) {
          return p;
        }
        if (op instanceof TxnOp.Put put) {
          p = Keys.valueProblem(put.value(), settings.maxValueBytes());
          if (p != null) {
            return p;
          }
          PutOptions o = put.options() == null ? PutOptions.NONE : put.options();
          if (o.ignoreLease() && o.lease() != 0) {
            return Rejection.invalid("invalid_request", "ignoreLease and lease cannot both be set");
          }
          if (o.lease() < 0) {
            return Rejection.invalid("invalid_request", "lease must not be negative");
          }
          if (o.lease() != 0
              && (state.revokedLeases().containsKey(o.lease())
                  || revokedInBatch.contains(o.lease()))) {
            return Rejection.notFound("lease_not_found", "lease " + o.lease() + " was revoked");
          }
        }
        if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
          return Rejection.invalid(
              "duplicate_key_in_txn", "key '" + op.key() + "' is written twice in one branch");
        }
      }
    }
    if (!foreign.isEmpty()) {
      // The edge splits a cross-partition transaction per partition; this is a routing bug.
      return Rejection.invalid(
          "wrong_partition",
          "transaction keys of partitions " + foreign + " of keyspace '" + keyspace
              + "' reached partition " + partition);
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

  // ------------------------------------------------------------ cross-partition transactions

  /** Every key {@code txn} names (compares and both branches); null entries are skipped. */
  static Set<String> keysOf(TxnRequest txn) {
    Set<String> keys = new TreeSet<>();
    if (txn == null) {
      return keys;
    }
    for (Compare c : txn.compare()) {
      if (c != null && c.key() != null) {
        keys.add(c.key());
      }
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      for (TxnOp op : branch) {
        if (op != null && op.key() != null) {
          keys.add(op.key());
        }
      }
    }
    return keys;
  }

  /**
   * A key {@code command} would change or read that a prepared transaction other than {@code
   * self} (null: any) holds, or null. A lease revocation counts a prepared put naming the lease,
   * which its commit would otherwise attach to a lease already gone.
   */
  private static String lockedKey(State state, Command command, String self) {
    if (state.locks().isEmpty()) {
      return null;
    }
    switch (command) {
      case Txn txn -> {
        return lockedAmong(state, keysOf(txn.txn()), self);
      }
      case Prepare prepare -> {
        return lockedAmong(state, keysOf(prepare.txn()), prepare.txnId());
      }
      case DeleteRange range -> {
        if (range.from() == null) {
          return null;
        }
        for (String key : state.locks().keySet()) {
          if (key.compareTo(range.from()) >= 0 && (range.to() == null || key.compareTo(range.to()) < 0)) {
            return key;
          }
        }
        return null;
      }
      case RevokeLease revoke -> {
        for (Map.Entry<String, String> lock : state.locks().entrySet()) {
          KeyValue kv = state.kvs().get(lock.getKey());
          if (kv != null && kv.lease() == revoke.lease()) {
            return lock.getKey();
          }
        }
        for (TxnPrepared p : state.prepared().values()) {
          for (List<TxnOp> branch : List.of(p.txn().success(), p.txn().failure())) {
            for (TxnOp op : branch) {
              if (op instanceof TxnOp.Put put && put.options() != null
                  && put.options().lease() == revoke.lease()) {
                return put.key();
              }
            }
          }
        }
        return null;
      }
      default -> {
        return null;
      }
    }
  }

  private static String lockedKey(State state, WriteCommand command) {
    return lockedKey(state, command, null);
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

  /** Holds {@code command} until the lock on {@code key} goes or lock-wait passes. */
  private void park(State state, Command command, ActorRef<Reply> replyTo, String key) {
    long id = ++lastParkedId;
    parked.put(id, new Parked(command, replyTo, key, state.locks().get(key)));
    context.scheduleOnce(settings.txnLockWait(), context.getSelf(), new LockWaitOver(id));
  }

  private ReplyEffect<Event, State> onLockWaitOver(long id) {
    Parked p = parked.remove(id);
    if (p == null) {
      return Effect().noReply();
    }
    return Effect().reply(p.replyTo(), keyLocked(p));
  }

  private Rejected keyLocked(Parked p) {
    return new Rejected(
        Rejection.conflict(
            "key_locked",
            "key '" + p.key() + "' is locked by the prepared cross-partition transaction "
                + p.holder() + "; waited at most cohort.kv.txn.lock-wait ("
                + settings.txnLockWait().toMillis() + " ms)"));
  }

  private ReplyEffect<Event, State> onLocksReleased(State state, LocksReleased released) {
    Parked p = parked.get(released.parkedId());
    if (p == null || lockedKey(state, p.command(), null) != null) {
      return Effect().noReply();
    }
    parked.remove(released.parkedId());
    return switch (p.command()) {
      case WriteCommand write -> onWrites(state, List.of(write), null);
      case Prepare prepare -> onPrepare(state, prepare);
      default -> throw new IllegalStateException("parked " + p.command());
    };
  }

  /** Lets every parked command try again; those still blocked stay parked with their deadline. */
  private void releaseParked() {
    for (long id : parked.keySet()) {
      context.getSelf().tell(new LocksReleased(id));
    }
  }

  private ReplyEffect<Event, State> onPrepare(State state, Prepare prepare) {
    if (state.dropped()) {
      return Effect().reply(prepare.replyTo(), new Rejected(droppedRejection(keyspace)));
    }
    TxnPrepared again = state.prepared().get(prepare.txnId());
    if (again != null) {
      return Effect().reply(prepare.replyTo(), vote(again));
    }
    if (state.outcomes().containsKey(prepare.txnId())) {
      return Effect()
          .reply(
              prepare.replyTo(),
              new Rejected(
                  Rejection.conflict(
                      "txn_finished",
                      "cross-partition transaction " + prepare.txnId() + " already finished")));
    }
    Rejection problem = checkTxn(state, Set.of(), prepare.txn());
    if (problem != null) {
      return Effect().reply(prepare.replyTo(), new Rejected(problem));
    }
    String locked = lockedKey(state, prepare, prepare.txnId());
    if (locked != null) {
      park(state, prepare, prepare.replyTo(), locked);
      return Effect().noReply();
    }
    TxnRequest txn = prepare.txn();
    Overlay view = new Overlay(state.kvs());
    long revision = state.revision() + 1;
    // Both branches are dry-run now: the keys stay locked until the decision, so whichever the
    // coordinator picks runs then exactly as it ran here, and the commit cannot fail.
    TxnPrepared prepared =
        new TxnPrepared(
            prepare.txnId(), txn, comparesHold(view, txn),
            runBranch(view, txn.success(), revision).problem(),
            runBranch(view, txn.failure(), revision).problem(),
            Math.max(System.currentTimeMillis(), state.lastAtMillis()));
    return Effect()
        .persist(prepared)
        .thenRun(
            s ->
                context.scheduleOnce(
                    settings.txnPrepareTimeout(), context.getSelf(),
                    new DecisionDue(prepare.txnId())))
        .thenReply(prepare.replyTo(), s -> vote(prepared));
  }

  private static Vote vote(TxnPrepared p) {
    return new Vote(p.txnId(), p.comparesHold(), p.successProblem(), p.failureProblem());
  }

  private ReplyEffect<Event, State> onCommit(State state, Commit commit) {
    TxnPrepared prepared = state.prepared().get(commit.txnId());
    if (prepared == null) {
      return Effect().reply(commit.replyTo(), remembered(state, commit.txnId()));
    }
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    TxnRequest txn = prepared.txn();
    Overlay view = new Overlay(state.kvs());
    long revision = state.revision() + 1;
    Branch branch =
        runBranch(view, commit.succeeded() ? txn.success() : txn.failure(), revision);
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
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              metrics.keys(entityId, keyspace, s.kvs().size());
              publish(s, changes);
              checkWaiters(s);
              releaseParked();
            })
        .thenReply(commit.replyTo(), s -> new TxnDone(commit.txnId(), true, result));
  }

  private ReplyEffect<Event, State> onAbort(State state, Abort abort) {
    if (!state.prepared().containsKey(abort.txnId())
        && (state.dropped() || state.outcomes().containsKey(abort.txnId()))) {
      return Effect().reply(abort.replyTo(), remembered(state, abort.txnId()));
    }
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    return Effect()
        .persist(new TxnResolved(abort.txnId(), false, now))
        .thenRun(s -> releaseParked())
        .thenReply(abort.replyTo(), s -> new TxnDone(abort.txnId(), false, null));
  }

  /** The answer to a decision for a transaction no longer prepared here. */
  private Reply remembered(State state, String txnId) {
    TxnResolved outcome = state.outcomes().get(txnId);
    if (outcome != null) {
      return new TxnDone(txnId, outcome.committed(), null);
    }
    if (state.dropped()) {
      return new Rejected(droppedRejection(keyspace));
    }
    return new Rejected(
        Rejection.notFound(
            "txn_not_prepared",
            "cross-partition transaction " + txnId + " is neither prepared nor remembered in"
                + " partition " + partition));
  }

  private ReplyEffect<Event, State> onDecisionDue(State state, DecisionDue due) {
    if (!state.prepared().containsKey(due.txnId())) {
      return Effect().noReply();
    }
    // Never abort on our own: the coordinator may have decided commit, and other partitions may
    // have applied it. Ask it; an undecided coordinator decides abort (presumed abort).
    context.getLog().info(
        "partition {} still holds prepared transaction {}; asking its coordinator",
        entityId, due.txnId());
    ClusterSharding.get(context.getSystem())
        .entityRefFor(TxnCoordinator.ENTITY_TYPE_KEY, due.txnId())
        .tell(new TxnCoordinator.Resolve(entityId));
    context.scheduleOnce(settings.txnPrepareTimeout(), context.getSelf(), due);
    return Effect().noReply();
  }

  private Decision decideDeleteRange(Overlay view, DeleteRange range) {
    if (range.from() == null) {
      return Decision.reject(Rejection.invalid("invalid_request", "delete range needs a start key"));
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
        mutations.isEmpty() ? null : List.copyOf(mutations), 0,
        h -> new DeleteReply(h, deleted, answered));
  }

  private Decision decideRevoke(Overlay view, RevokeLease revoke) {
    List<Mutation> mutations = new ArrayList<>();
    for (String key : view.keysWithLease(revoke.lease())) {
      mutations.add(new DeleteKey(key));
    }
    // Persisted even without keys: the partition must refuse late puts naming this lease.
    return new Decision(List.copyOf(mutations), revoke.lease(), Done::new);
  }

  private ReplyEffect<Event, State> onGet(State state, Get get) {
    if (state.dropped()) {
      return Effect().reply(get.replyTo(), new Rejected(droppedRejection(keyspace)));
    }
    Rejection p = Keys.keyProblem(get.key());
    if (p != null) {
      return Effect().reply(get.replyTo(), new Rejected(p));
    }
    KeyValue current = state.kvs().get(get.key());
    long at = get.revision();
    if (at <= 0 || at >= state.revision()) {
      if (at > state.revision()) {
        return Effect()
            .reply(
                get.replyTo(),
                new Rejected(
                    Rejection.invalid(
                        "future_revision",
                        "revision " + at + " is ahead of partition " + partition + " at "
                            + state.revision())));
      }
      return answerFromMemory(get.replyTo(), new GetReply(header(state), Optional.ofNullable(current)));
    }
    if (at < state.compactedRevision()) {
      return Effect()
          .reply(
              get.replyTo(),
              new Rejected(
                  Rejection.notFound(
                      "revision_compacted",
                      "revision " + at + " of partition " + partition + " was compacted; history"
                          + " starts after " + state.compactedRevision())));
    }
    // Undo, newest first, every change of the key after the asked revision.
    KeyValue then = current;
    List<Change> history = state.history();
    for (int i = history.size() - 1; i >= 0 && history.get(i).revision() > at; i--) {
      Change c = history.get(i);
      if (c.key().equals(get.key())) {
        then = c.prev();
      }
    }
    return Effect().reply(get.replyTo(), new GetReply(header(state), Optional.ofNullable(then)));
  }

  private ReplyEffect<Event, State> onRange(State state, Range range) {
    if (state.dropped()) {
      return Effect().reply(range.replyTo(), new Rejected(droppedRejection(keyspace)));
    }
    NavigableMap<String, KeyValue> selected = select(state.kvs(), range.from(), range.to());
    long count = selected.size();
    List<KeyValue> kvs = new ArrayList<>();
    boolean more = false;
    if (!range.countOnly()) {
      int limit = range.limit() <= 0 ? Integer.MAX_VALUE : range.limit();
      for (KeyValue kv : selected.values()) {
        if (kvs.size() == limit) {
          more = true;
          break;
        }
        kvs.add(range.keysOnly() ? kv.withoutValue() : kv);
      }
    }
    return answerFromMemory(range.replyTo(), new RangeReply(header(state), List.copyOf(kvs), count, more));
  }

  static NavigableMap<String, KeyValue> select(
      TreeMap<String, KeyValue> kvs, String from, String to) {
    String start = from == null ? "" : from;
    if (to == null) {
      return kvs.tailMap(start, true);
    }
    if (to.compareTo(start) <= 0) {
      return Collections.emptyNavigableMap();
    }
    return kvs.subMap(start, true, to, false);
  }

  private ReplyEffect<Event, State> onLeaseKeys(State state, LeaseKeys query) {
    List<String> keys = new ArrayList<>();
    for (KeyValue kv : state.kvs().values()) {
      if (kv.lease() == query.lease()) {
        keys.add(kv.key());
      }
    }
    return Effect().reply(query.replyTo(), new LeaseKeysReply(header(state), List.copyOf(keys)));
  }

  private ReplyEffect<Event, State> onStats(State state, Stats stats) {
    if (state.dropped()) {
      return Effect().reply(stats.replyTo(), new Rejected(droppedRejection(keyspace)));
    }
    return Effect()
        .reply(stats.replyTo(), new StatsReply(header(state), state.kvs().size(), state.bytes()));
  }

  private ReplyEffect<Event, State> onSubscribe(State state, Subscribe subscribe) {
    Filter filter = subscribe.filter();
    long after = subscribe.afterRevision();
    List<Change> backlog = new ArrayList<>();
    boolean snapshot = false;
    if (after >= 0 && after < state.revision()) {
      if (after < state.compactedRevision()) {
        snapshot = true;
      } else {
        List<Change> history = state.history();
        int i = history.size();
        while (i > 0 && history.get(i - 1).revision() > after) {
          i--;
        }
        for (Change c : history.subList(i, history.size())) {
          if (filter.matches(c.key())) {
            backlog.add(c);
          }
        }
      }
    } else if (after > state.revision()) {
      // A token from beyond this partition's history (its journal was lost or replaced): the
      // only honest answer is the current state.
      snapshot = true;
    }
    if (snapshot) {
      for (KeyValue kv : matching(state, filter)) {
        backlog.add(new Change(state.revision(), state.lastAtMillis(), kv.key(), kv, null));
      }
    }
    subscribe
        .subscriber()
        .tell(
            new KvWatcher.Feed(
                partition, context.getSelf(), List.copyOf(backlog), snapshot, state.revision()));
    if (!subscribers.containsKey(subscribe.subscriber())) {
      context.watchWith(subscribe.subscriber(), new SubscriberGone(subscribe.subscriber()));
    }
    subscribers.put(subscribe.subscriber(), filter);
    return Effect().noReply();
  }

  private static Iterable<KeyValue> matching(State state, Filter filter) {
    if (filter.key() != null) {
      KeyValue kv = state.kvs().get(filter.key());
      return kv == null ? List.of() : List.of(kv);
    }
    String end = Keys.prefixEnd(filter.prefix());
    return select(state.kvs(), filter.prefix(), end).values();
  }

  private ReplyEffect<Event, State> onUnsubscribe(ActorRef<KvWatcher.Command> subscriber) {
    if (subscribers.remove(subscriber) != null) {
      context.unwatch(subscriber);
    }
    return Effect().noReply();
  }

  private void publish(State state, List<Change> changes) {
    if (subscribers.isEmpty() || changes.isEmpty()) {
      return;
    }
    for (Map.Entry<ActorRef<KvWatcher.Command>, Filter> s : subscribers.entrySet()) {
      List<Change> matching = new ArrayList<>();
      for (Change c : changes) {
        if (s.getValue().matches(c.key())) {
          matching.add(c);
        }
      }
      if (!matching.isEmpty()) {
        s.getKey()
            .tell(
                new KvWatcher.Feed(
                    partition, context.getSelf(), List.copyOf(matching), false, state.revision()));
      }
    }
  }

  private ReplyEffect<Event, State> onAwaitFirst(State state, AwaitFirst await) {
    Reply decided = decideWaiter(state, await);
    if (decided != null) {
      return Effect().reply(await.replyTo(), decided);
    }
    if (!await.waits()) {
      return Effect()
          .reply(
              await.replyTo(),
              new Rejected(Rejection.conflict("not_first", "another key is ahead in the queue")));
    }
    waiters.add(await);
    return Effect().noReply();
  }

  private void checkWaiters(State state) {
    Iterator<AwaitFirst> it = waiters.iterator();
    while (it.hasNext()) {
      AwaitFirst w = it.next();
      Reply decided = decideWaiter(state, w);
      if (decided != null) {
        w.replyTo().tell(decided);
        it.remove();
      }
    }
  }

  private Reply decideWaiter(State state, AwaitFirst await) {
    if (state.dropped()) {
      return new Rejected(droppedRejection(keyspace));
    }
    KeyValue mine = state.kvs().get(await.key());
    if (mine == null) {
      return new Rejected(
          Rejection.notFound("lock_not_found", "key '" + await.key() + "' no longer exists"));
    }
    for (KeyValue kv : select(state.kvs(), await.prefix(), Keys.prefixEnd(await.prefix())).values()) {
      if (kv.createRevision() < mine.createRevision()) {
        return null;
      }
    }
    return new Owner(header(state), mine);
  }

  private ReplyEffect<Event, State> onPassivate() {
    if (shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
      return Effect().noReply();
    }
    return Effect().stop().thenNoReply();
  }

  private ReplyEffect<Event, State> onDrop(State state, Drop drop) {
    if (state.dropped()) {
      return Effect().reply(drop.replyTo(), new Done(header(state)));
    }
    return Effect()
        .persist(new Dropped(System.currentTimeMillis()))
        .thenRun(this::checkWaiters)
        .thenReply(drop.replyTo(), s -> new Done(header(s)));
  }

  // ---------------------------------------------------------------------------------- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Written.class, (state, w) -> state.applyWritten(w, settings))
        .onEvent(Dropped.class, State::drop)
        .onEvent(TxnPrepared.class, State::prepare)
        .onEvent(TxnResolved.class, (state, r) -> state.resolve(r, settings.txnRememberOutcomes()))
        .build();
  }

  /**
   * The state as a batch sees it while deciding: the persisted keys plus the batch's own writes
   * so far. Deletes are held as a tombstone. Not thread-safe; lives for one command.
   */
  private static final class Overlay {
    private static final KeyValue TOMBSTONE = new KeyValue("", new byte[0], 0, 0, 0, 0);
    private final NavigableMap<String, KeyValue> base;
    private final Overlay parent;
    private final TreeMap<String, KeyValue> own = new TreeMap<>();

    Overlay(TreeMap<String, KeyValue> base) {
      this.base = base;
      this.parent = null;
    }

    private Overlay(Overlay parent) {
      this.base = null;
      this.parent = parent;
    }

    Overlay child() {
      return new Overlay(this);
    }

    KeyValue get(String key) {
      KeyValue v = own.get(key);
      if (v != null) {
        return v == TOMBSTONE ? null : v;
      }
      return parent != null ? parent.get(key) : base.get(key);
    }

    void put(KeyValue kv) {
      own.put(kv.key(), kv);
    }

    void delete(String key) {
      own.put(key, TOMBSTONE);
    }

    /** Applies persisted-to-be mutations to this (top-level) overlay and records the changes. */
    void apply(List<Mutation> mutations, long revision, long at, List<Change> changes) {
      for (Mutation m : mutations) {
        switch (m) {
          case PutKv put -> {
            changes.add(new Change(revision, at, put.kv().key(), put.kv(), get(put.kv().key())));
            own.put(put.kv().key(), put.kv());
          }
          case DeleteKey delete -> {
            KeyValue prev = get(delete.key());
            if (prev != null) {
              changes.add(new Change(revision, at, delete.key(), null, prev));
            }
            own.put(delete.key(), TOMBSTONE);
          }
        }
      }
    }

    Set<String> keysIn(String from, String to) {
      TreeSet<String> keys = new TreeSet<>();
      collectKeys(from, to, keys);
      keys.removeIf(k -> get(k) == null);
      return keys;
    }

    private void collectKeys(String from, String to, Set<String> into) {
      into.addAll(select(own, from, to).keySet());
      if (parent != null) {
        parent.collectKeys(from, to, into);
      } else {
        into.addAll(
            (to == null ? base.tailMap(from, true)
                    : to.compareTo(from) <= 0 ? Collections.<String, KeyValue>emptyNavigableMap()
                    : base.subMap(from, true, to, false))
                .keySet());
      }
    }

    Set<String> keysWithLease(long lease) {
      LinkedHashMap<String, Boolean> keys = new LinkedHashMap<>();
      collectLease(lease, keys);
      Set<String> result = new TreeSet<>();
      for (String k : keys.keySet()) {
        KeyValue v = get(k);
        if (v != null && v.lease() == lease) {
          result.add(k);
        }
      }
      return result;
    }

    private void collectLease(long lease, Map<String, Boolean> into) {
      for (KeyValue kv : own.values()) {
        if (kv != TOMBSTONE && kv.lease() == lease) {
          into.put(kv.key(), Boolean.TRUE);
        }
      }
      if (parent != null) {
        parent.collectLease(lease, into);
      } else {
        for (KeyValue kv : base.values()) {
          if (kv.lease() == lease) {
            into.put(kv.key(), Boolean.TRUE);
          }
        }
      }
    }
  }
}
