package dev.cohort.kv.internal;

import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Traced;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.persistence.WriterFence;
import dev.cohort.sharding.EntityTypes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
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
 * <p>Invariants: the revision strictly increases with every write that changed a key (a write that
 * changes nothing keeps it); every reply to a write is sent after the journal write that holds it
 * completed (a reply sent first could acknowledge a write that a crash then loses); reads are
 * served from memory, and since Pekko stashes commands while a write is in flight, a read never
 * sees an unacknowledged write.
 *
 * <p>This class holds the protocol and routes each command, by the partition's {@link Stage}
 * ({@link Live}, or {@link Gone} once the keyspace is deleted), to the collaborator that owns it:
 *
 * <ul>
 *   <li>{@link PartitionStore}: the keys and revision history (applying {@link Written}, compaction
 *       by {@code cohort.kv.history.*}, reads now and at a past revision);
 *   <li>{@link TxnEvaluator} with its {@link Overlay}: deciding a {@link Batch} of writes in order
 *       (a node's {@link PartitionBatcher} sends the writes that queued up while the previous batch
 *       was in flight as one), whose events this class persists in one journal write before
 *       answering each;
 *   <li>{@link TxnParticipant}: the partition's side of cross-partition transactions ({@link
 *       Prepare}, {@link Commit}, {@link Abort}, locked keys, parked writes, asking the {@link
 *       TxnCoordinator} when a decision is due);
 *   <li>{@link WatchHub} (watches) and {@link FirstKeyWaiters} (lock and election queues), told
 *       after each journal write;
 *   <li>{@link ReadFence}: answers from memory wait until the shared journal confirms that no other
 *       node wrote the partition meanwhile.
 * </ul>
 *
 * <p>The state's collections are mutable and only the event handler changes them; the snapshot
 * adapter copies them, because a snapshot is serialized after the entity has moved on.
 *
 * <p>Entity id: {@code <keyspace>:<incarnation>:<partitions>:<partition>}.
 */
public final class KvPartition
    extends EventSourcedBehaviorWithEnforcedReplies<
        KvPartition.Command, KvPartition.Event, KvPartition.Stage> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "kv-partition");

  // ---------------------------------------------------------------------------------- Command

  /** Every message a partition accepts. */
  public sealed interface Command extends CohortSerializable {}

  /** A command that writes; the batcher groups these. */
  public sealed interface WriteCommand extends Command {
    ActorRef<Reply> replyTo();
  }

  /**
   * A transaction; single puts and deletes are transactions without compares. {@code trace}: the
   * caller's span (null untraced), continued by the partition's spans (see {@link WriteSpans}).
   */
  public record Txn(TxnRequest txn, ActorRef<Reply> replyTo, TraceContext trace)
      implements WriteCommand, Traced {
    public Txn(TxnRequest txn, ActorRef<Reply> replyTo) {
      this(txn, replyTo, null);
    }

    Txn withTrace(TraceContext next) {
      return new Txn(txn, replyTo, next);
    }
  }

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
      String from,
      String to,
      int limit,
      boolean keysOnly,
      boolean countOnly,
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
   * prefix} (lock and election queues), or {@code lock_not_found} once the key is gone. With {@code
   * waits} false it answers at once, {@code not_first} when another key is ahead.
   */
  public record AwaitFirst(String prefix, String key, boolean waits, ActorRef<Reply> replyTo)
      implements Command {}

  /** Marks the partition of a deleted keyspace: every later command is refused. */
  public record Drop(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Stops the entity through sharding's passivation; the next command recovers it from the journal.
   * For operators and tests that exercise recovery.
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

  /**
   * The answer to a {@link Batch}, once every command in it was answered. {@code node}: the address
   * of the node the partition ran on, so that the sender learns where the partition lives (null
   * from a node that predates the field).
   */
  public record BatchDone(int commands, long revision, String node) implements CohortSerializable {}

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
      String txnId,
      TxnRequest txn,
      boolean comparesHold,
      Rejection successProblem,
      Rejection failureProblem,
      long atMillis)
      implements Event {}

  /**
   * A cross-partition transaction resolved here; a commit's {@link Written} is in the same journal
   * write. The op results are not kept (they may hold whole values): a repeated commit learns the
   * outcome only.
   */
  public record TxnResolved(String txnId, boolean committed, long atMillis) implements Event {}

  /** One key change inside {@link Written}. */
  public sealed interface Mutation extends CohortSerializable {}

  /** The key's complete new state, decided by the command handler. */
  public record PutKv(KeyValue kv) implements Mutation {}

  public record DeleteKey(String key) implements Mutation {}

  // ---------------------------------------------------------------------------------- State

  /**
   * The partition's keys and history. This is what snapshots hold, with {@code dropped} saying the
   * stage ({@link Live} or {@link Gone}), so that snapshots written before stages existed read.
   *
   * @param revision the revision of the last write
   * @param compactedRevision history holds every change after this revision
   * @param lastAtMillis the timestamp of the last event (event timestamps never go back)
   * @param dropped whether the keyspace was deleted: false in {@link Live}, true in {@link Gone}
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
          0,
          0,
          0,
          false,
          new TreeMap<>(),
          new ArrayList<>(),
          new HashMap<>(),
          0,
          0,
          null,
          null,
          null);
    }

    /** A copy whose collections no later event changes, for snapshots. */
    State copy() {
      return new State(
          revision,
          compactedRevision,
          lastAtMillis,
          dropped,
          new TreeMap<>(kvs),
          new ArrayList<>(history),
          new HashMap<>(revokedLeases),
          bytes,
          historyBytes,
          new HashMap<>(prepared),
          new HashMap<>(locks),
          new LinkedHashMap<>(outcomes));
    }
  }

  /**
   * The partition's stage in its lifecycle, holding its {@link State}. The stage selects the
   * command handlers, so that a command that makes no sense once the keyspace is deleted has no
   * handler that could run it. Not journaled: snapshots hold the {@link State}; registered with
   * Kryo only so that test kits can verify the entity's state.
   */
  public sealed interface Stage extends CohortSerializable permits Live, Gone {
    State state();

    /** The same stage holding {@code next}. */
    Stage with(State next);
  }

  /** The keyspace exists: reads, writes, prepares and lock waits are served. */
  public record Live(State state) implements Stage {
    @Override
    public Live with(State next) {
      return new Live(next);
    }
  }

  /**
   * The keyspace was deleted ({@link Dropped}): reads, writes, prepares and lock waits are refused
   * with {@code keyspace_not_found}; decisions for transactions prepared before still run, since
   * other partitions may have committed them.
   */
  public record Gone(State state) implements Stage {
    @Override
    public Gone with(State next) {
      return new Gone(next);
    }
  }

  // ---------------------------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, KvSettings settings) {
    KvMetrics metrics = KvMetrics.get(system);
    EntityTypes.init(
        system,
        Entity.of(
            ENTITY_TYPE_KEY,
            entityContext ->
                Behaviors.setup(
                    context ->
                        new KvPartition(
                            context,
                            entityContext.getEntityId(),
                            settings,
                            metrics,
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
  private final KvSettings settings;
  private final KvMetrics metrics;

  /** The shard hosting this entity (null outside sharding, as in unit tests). */
  private final ActorRef<ClusterSharding.ShardCommand> shard;

  /** Answers given from memory wait for the journal to confirm no other node wrote meanwhile. */
  private final ReadFence readFence;

  /** The answer to what a partition of a deleted keyspace refuses. */
  private final Rejected dropped;

  private final PartitionStore store;
  private final TxnEvaluator evaluator;
  private final TxnParticipant participant;
  private final WatchHub watches;
  private final FirstKeyWaiters waiters;
  private final Tracing tracing;

  /** This node's address, named in every {@link BatchDone}. */
  private final String node;

  private KvPartition(
      ActorContext<Command> context,
      String entityId,
      KvSettings settings,
      KvMetrics metrics,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId),
        EntitySupervision.restartWithBackoff(settings));
    this.context = context;
    this.entityId = entityId;
    String[] parts = entityId.split(":");
    this.keyspace = parts[0];
    int partitions = Integer.parseInt(parts[2]);
    int partition = Integer.parseInt(parts[3]);
    this.settings = settings;
    this.metrics = metrics;
    this.shard = shard;
    this.readFence =
        new ReadFence(
            WriterFence.of(context.getSystem()),
            PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId).id(),
            context);
    this.dropped =
        new Rejected(
            KvError.KEYSPACE_NOT_FOUND.rejection("keyspace '" + keyspace + "' was deleted"));
    this.store = new PartitionStore(partition, settings);
    this.tracing = Tracing.get(context.getSystem());
    this.node = context.getSystem().address().toString();
    this.evaluator = new TxnEvaluator(settings, keyspace, partitions, partition);
    this.participant =
        new TxnParticipant(
            context,
            Effect(),
            settings,
            entityId,
            partition,
            evaluator,
            dropped.rejection(),
            this::written);
    this.watches = new WatchHub(context, partition);
    this.waiters = new FirstKeyWaiters(store);
  }

  @Override
  public Stage emptyState() {
    return new Live(State.empty());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), settings.snapshotKeep());
  }

  @Override
  public boolean shouldSnapshot(Stage stage, Event event, long sequenceNr) {
    // snapshotEvery alone may miss a multiple inside one multi-event write; this catches it.
    return sequenceNr % settings.snapshotEveryEvents() == 0;
  }

  @Override
  public SnapshotAdapter<Stage> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(Stage stage) {
        return stage.state().copy();
      }

      @Override
      public Stage fromJournal(Object from) {
        // Copied too: an in-memory snapshot store hands out the object it holds, which this
        // entity's event handler would otherwise change under the store.
        State state = ((State) from).copy();
        return state.dropped() ? new Gone(state) : new Live(state);
      }
    };
  }

  @Override
  public SignalHandler<Stage> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), stage -> onStopped())
        .build();
  }

  private void onStopped() {
    metrics.partitionStopped(entityId);
    // Parked commands wrote nothing; their senders learn it now rather than by a timeout.
    participant.stopped();
  }

  private void onRecovered(Stage stage) {
    metrics.keys(entityId, keyspace, stage.state().kvs().size());
    participant.recovered(stage.state());
  }

  // ---------------------------------------------------------------------------------- commands

  @Override
  public CommandHandlerWithReply<Command, Event, Stage> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(Live.class)
        .onCommand(Batch.class, (live, batch) -> onWrites(live, batch.commands(), batch.replyTo()))
        .onCommand(WriteCommand.class, (live, write) -> onWrites(live, List.of(write), null))
        .onCommand(Get.class, this::onGet)
        .onCommand(
            Range.class, (live, c) -> answerFromMemory(c.replyTo(), store.range(live.state(), c)))
        .onCommand(Stats.class, (live, c) -> Effect().reply(c.replyTo(), store.stats(live.state())))
        .onCommand(AwaitFirst.class, this::onAwaitFirst)
        .onCommand(Drop.class, this::onDrop)
        .onCommand(Prepare.class, participant::onPrepare)
        .onCommand(Commit.class, (live, c) -> participant.onCommit(live, c))
        .onCommand(Abort.class, (live, c) -> participant.onAbort(live, c))
        .onCommand(LocksReleased.class, this::onLocksReleased);
    builder
        .forStateType(Gone.class)
        .onCommand(Batch.class, (gone, batch) -> refuseWrites(batch.commands(), batch.replyTo()))
        .onCommand(WriteCommand.class, (gone, write) -> refuseWrites(List.of(write), null))
        .onCommand(Get.class, (gone, c) -> Effect().reply(c.replyTo(), dropped))
        .onCommand(Range.class, (gone, c) -> Effect().reply(c.replyTo(), dropped))
        .onCommand(Stats.class, (gone, c) -> Effect().reply(c.replyTo(), dropped))
        .onCommand(AwaitFirst.class, (gone, c) -> Effect().reply(c.replyTo(), dropped))
        .onCommand(
            Drop.class,
            (gone, c) -> Effect().reply(c.replyTo(), new Done(store.header(gone.state()))))
        .onCommand(Prepare.class, (gone, c) -> Effect().reply(c.replyTo(), dropped))
        .onCommand(Commit.class, (gone, c) -> participant.onCommit(gone, c))
        .onCommand(Abort.class, (gone, c) -> participant.onAbort(gone, c))
        .onCommand(LocksReleased.class, this::onLocksReleased);
    builder
        .forAnyState()
        .onCommand(
            LeaseKeys.class,
            (stage, c) -> Effect().reply(c.replyTo(), store.leaseKeys(stage.state(), c)))
        .onCommand(Subscribe.class, this::onSubscribe)
        .onCommand(Unsubscribe.class, (stage, c) -> onUnsubscribe(c.subscriber()))
        .onCommand(SubscriberGone.class, (stage, c) -> onUnsubscribe(c.subscriber()))
        .onCommand(Passivate.class, (stage, c) -> onPassivate())
        .onCommand(DecisionDue.class, participant::onDecisionDue)
        .onCommand(LockWaitOver.class, (stage, c) -> participant.onLockWaitOver(c))
        .onCommand(FenceChecked.class, this::onFenceChecked);
    return builder.build();
  }

  /**
   * Answers from memory: at once on a node-local journal; on the shared journal once the {@link
   * ReadFence} confirmed that no other node wrote this partition since its last event.
   */
  private ReplyEffect<Event, Stage> answerFromMemory(ActorRef<Reply> replyTo, Reply reply) {
    if (!readFence.enabled()) {
      return Effect().reply(replyTo, reply);
    }
    readFence.hold(replyTo, reply, lastSequenceNumber(context));
    return Effect().noReply();
  }

  private void sendFromMemory(List<TxnEvaluator.Pending> replies) {
    for (TxnEvaluator.Pending p : replies) {
      if (readFence.enabled()) {
        readFence.hold(p.replyTo(), p.reply(), lastSequenceNumber(context));
      } else {
        p.replyTo().tell(p.reply());
      }
    }
  }

  private ReplyEffect<Event, Stage> onFenceChecked(Stage stage, FenceChecked checked) {
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

  /**
   * Decides {@code commands} in order (see {@link TxnEvaluator}) and persists the events of all of
   * them in one journal write; those touching a key locked by a prepared transaction are parked
   * (see {@link TxnParticipant}). Every reply waits for that write, including rejections and reads
   * inside transactions, which may have seen an earlier write of the same batch.
   */
  private ReplyEffect<Event, Stage> onWrites(
      Live live, List<WriteCommand> commands, ActorRef<BatchDone> batcher) {
    State state = live.state();
    long now = Math.max(System.currentTimeMillis(), state.lastAtMillis());
    WriteSpans spans = WriteSpans.start(tracing, entityId, commands);
    TxnEvaluator.Outcome decided =
        evaluator.decide(state, participant.parkLocked(state, commands), now);
    EffectBuilder<Event, Stage> effect;
    if (decided.events().isEmpty()) {
      // Nothing written: the answers come from memory (reads, failed compares) and are fenced.
      spans.answeredFromMemory();
      effect = Effect().none().thenRun(s -> sendFromMemory(decided.replies()));
    } else {
      int eventCount = decided.events().size();
      spans.persisting(eventCount, commands.size());
      effect =
          Effect()
              .persist(decided.events())
              .thenRun(
                  s -> {
                    // Metered before the replies go out, so that a client that has its answer
                    // also finds its write in a scrape.
                    metrics.batch(eventCount);
                    metrics.keys(entityId, keyspace, s.state().kvs().size());
                    spans.written(s.state().revision());
                    decided.replies().forEach(p -> spans.reply(p.replyTo(), p.reply()));
                    watches.publish(s.state(), decided.changes());
                    waiters.check(s.state());
                  });
    }
    return answerBatch(effect, commands.size(), batcher);
  }

  /** Refuses every write of a deleted keyspace; the refusals are answers from memory. */
  private ReplyEffect<Event, Stage> refuseWrites(
      List<WriteCommand> commands, ActorRef<BatchDone> batcher) {
    List<TxnEvaluator.Pending> replies = new ArrayList<>(commands.size());
    for (WriteCommand command : commands) {
      replies.add(new TxnEvaluator.Pending(command.replyTo(), dropped));
    }
    EffectBuilder<Event, Stage> effect = Effect().none().thenRun(s -> sendFromMemory(replies));
    return answerBatch(effect, commands.size(), batcher);
  }

  /**
   * A write sent alone (not in a batch) is answered by {@code effect}; a batch's sender waits more.
   */
  private ReplyEffect<Event, Stage> answerBatch(
      EffectBuilder<Event, Stage> effect, int commands, ActorRef<BatchDone> batcher) {
    return batcher == null
        ? effect.thenNoReply()
        : effect.thenReply(batcher, s -> new BatchDone(commands, s.state().revision(), node));
  }

  /** After a journal write that changed keys: meter them, feed watches, answer waiters. */
  private void written(Stage stage, List<Change> changes) {
    metrics.keys(entityId, keyspace, stage.state().kvs().size());
    watches.publish(stage.state(), changes);
    waiters.check(stage.state());
  }

  private ReplyEffect<Event, Stage> onLocksReleased(Live live, LocksReleased released) {
    return switch (participant.unpark(live.state(), released)) {
      case null -> Effect().noReply();
      case WriteCommand write -> onWrites(live, List.of(write), null);
      case Prepare prepare -> participant.onPrepare(live, prepare);
      default -> throw new IllegalStateException("parked " + released);
    };
  }

  private ReplyEffect<Event, Stage> onLocksReleased(Gone gone, LocksReleased released) {
    return switch (participant.unpark(gone.state(), released)) {
      case null -> Effect().noReply();
      case WriteCommand write -> refuseWrites(List.of(write), null);
      case Prepare prepare -> Effect().reply(prepare.replyTo(), dropped);
      default -> throw new IllegalStateException("parked " + released);
    };
  }

  private ReplyEffect<Event, Stage> onGet(Live live, Get get) {
    State state = live.state();
    Rejection problem = store.getProblem(state, get);
    if (problem != null) {
      return Effect().reply(get.replyTo(), new Rejected(problem));
    }
    KeyValue kv = PartitionStore.readAt(state, get.key(), get.revision());
    GetReply reply = new GetReply(store.header(state), Optional.ofNullable(kv));
    // A past revision is answered at once; the current value only once fenced.
    return PartitionStore.readsCurrent(state, get.revision())
        ? answerFromMemory(get.replyTo(), reply)
        : Effect().reply(get.replyTo(), reply);
  }

  private ReplyEffect<Event, Stage> onSubscribe(Stage stage, Subscribe subscribe) {
    watches.subscribe(stage.state(), subscribe);
    return Effect().noReply();
  }

  private ReplyEffect<Event, Stage> onUnsubscribe(ActorRef<KvWatcher.Command> subscriber) {
    watches.unsubscribe(subscriber);
    return Effect().noReply();
  }

  private ReplyEffect<Event, Stage> onAwaitFirst(Live live, AwaitFirst await) {
    Reply now = waiters.await(live.state(), await);
    return now == null ? Effect().noReply() : Effect().reply(await.replyTo(), now);
  }

  private ReplyEffect<Event, Stage> onPassivate() {
    if (shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
      return Effect().noReply();
    }
    return Effect().stop().thenNoReply();
  }

  private ReplyEffect<Event, Stage> onDrop(Live live, Drop drop) {
    return Effect()
        .persist(new Dropped(System.currentTimeMillis()))
        .thenRun(s -> waiters.refuseAll(dropped))
        .thenReply(drop.replyTo(), s -> new Done(store.header(s.state())));
  }

  // ---------------------------------------------------------------------------------- events

  @Override
  public EventHandler<Stage, Event> eventHandler() {
    int remember = settings.txnRememberOutcomes();
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Written.class, (stage, w) -> stage.with(store.applyWritten(stage.state(), w)))
        .onEvent(Dropped.class, (stage, d) -> new Gone(PartitionStore.drop(stage.state(), d)))
        .onEvent(
            TxnPrepared.class, (stage, p) -> stage.with(TxnParticipant.prepared(stage.state(), p)))
        .onEvent(
            TxnResolved.class,
            (stage, r) -> stage.with(TxnParticipant.resolved(stage.state(), r, remember)))
        .build();
  }
}
