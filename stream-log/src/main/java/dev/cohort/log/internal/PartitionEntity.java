package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One topic-partition: the single writer of its log, a sharded event-sourced entity (id {@code
 * topic/partition}). This class holds the partition's protocol (commands, replies, events, the
 * snapshot records: their Kryo ids and journal format are fixed), its lifecycle stages ({@link
 * UnconfiguredPartition}, {@link ConfiguredPartition}, each with its own handlers), its sharding
 * and snapshot wiring, and handlers that route each command to the collaborator that decides it, as
 * Kafka's {@code UnifiedLog} does:
 *
 * <ul>
 *   <li>{@link PartitionLog}: the retained batches and offsets, held in memory;
 *   <li>{@link LogValidator}: a produce request's batches validated and given offsets;
 *   <li>{@link ProducerStateManager}: idempotent producers' epochs, sequences and last batches;
 *   <li>{@link FetchPurgatory}: long-poll fetches parked at the log end;
 *   <li>{@link LogRetention}: truncation by {@code retention.ms} and {@code retention.bytes};
 *   <li>{@link LogCleaner}: compaction, off the actor.
 * </ul>
 *
 * <p>Storage: each produced batch is one {@link BatchAppendedV2} journal event holding the batch in
 * Kafka's record-batch format v2 ({@link KafkaBatch}) as the producer compressed it (a request of
 * several batches is one atomic write); offsets are assigned here, contiguous from 0, by rewriting
 * the batch's base offset. Events and snapshots of the format before v2 ({@link BatchAppended},
 * {@link LogCompacted}, {@link Snapshot}) are converted as recovery reads them ({@link
 * KafkaBatches#fromLegacy}) and never written again. The retained log is held in memory (recovered
 * from the latest snapshot plus later events); a snapshot is the retained log, saved after every
 * truncation, compaction or deletion and otherwise once at least {@code snapshot-every} events
 * <em>and</em> at least as many bytes as the previous snapshot held have been appended since it.
 * Events before a snapshot are then deleted, so retention and compaction free journal rows. The
 * byte rule keeps snapshotting linear: a snapshot copies the whole retained log, so taking one
 * every fixed number of small batches would copy a growing log over and over (quadratic work); with
 * it, snapshots write at most about twice the bytes produced, and recovery reads one snapshot plus
 * at most about as many bytes of events as the log holds.
 *
 * <p>Invariants: a produce is answered only after its events are persisted ("acknowledged means
 * durable"); a duplicate from an idempotent producer (same producer id, epoch and sequence) is
 * answered with the original offsets without writing; event handlers only apply events (no clock,
 * metrics or messages), since they also run during recovery. The log's own invariants are in {@link
 * PartitionLog}.
 *
 * <p>Thread-safety: the mutable {@link State} is confined to the actor; batches are immutable and
 * shared with fetch replies and the cleaner.
 */
public final class PartitionEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        PartitionEntity.Command, PartitionEntity.Event, PartitionEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "LogPartition");

  public static String entityId(String topic, int partition) {
    return topic + "/" + partition;
  }

  static TopicPartition parseEntityId(String entityId) {
    int slash = entityId.lastIndexOf('/');
    return new TopicPartition(
        entityId.substring(0, slash), Integer.parseInt(entityId.substring(slash + 1)));
  }

  // ---- commands ----

  public sealed interface Command extends CohortSerializable {}

  /** Sets the partition's topic id and configs (on create, on alter, after a topic re-create). */
  public record Configure(String topicId, TopicConfig config, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Appends one batch. {@code producerId} -1 means a producer without idempotence; otherwise {@code
   * baseSequence} numbers the batch's first record in this producer's sequence for this partition
   * and epoch.
   */
  public record Produce(
      String topicId,
      long producerId,
      int producerEpoch,
      int baseSequence,
      KafkaBatches.Encoded batch,
      ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Appends several batches of one producer in one atomic journal write; answered with {@link
   * AppendedBatches}, one result per batch in order (or one {@link Rejected} for the request).
   */
  public record ProduceBatches(
      String topicId,
      long producerId,
      int producerEpoch,
      List<Integer> baseSequences,
      List<KafkaBatches.Encoded> batches,
      ActorRef<Reply> replyTo)
      implements Command {}

  /** Reads batches from {@code offset}, waiting up to {@code maxWaitMs} at the log end. */
  public record Fetch(
      long offset, int maxBytes, int maxRecords, long maxWaitMs, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetStatus(ActorRef<Reply> replyTo) implements Command {}

  /** Deletes every record, event and snapshot of the partition (topic deletion). */
  public record DeletePartition(String topicId, ActorRef<Reply> replyTo) implements Command {}

  /** Applies retention now and considers compaction (the periodic check, or a test). */
  public record CheckRetention(ActorRef<Reply> replyTo) implements Command {}

  private enum RetentionTick implements Command {
    INSTANCE
  }

  private record FetchWaitExpired(long waiterId) implements Command {}

  /** The compactor's result for the batches below {@code cleanedUpTo}. */
  private record CompactionDone(
      long logVersion,
      long cleanedUpTo,
      List<KafkaBatch> replacement,
      long tombstonesExpireAt,
      String failure)
      implements Command {}

  // ---- replies ----

  public sealed interface Reply extends CohortSerializable {}

  /** The batch's first offset (records follow contiguously) and its append time. */
  public record Appended(long baseOffset, long logAppendTime, boolean duplicate) implements Reply {}

  /** One {@link Appended} or {@link Rejected} per batch of a {@link ProduceBatches}. */
  public record AppendedBatches(List<Reply> results) implements Reply {}

  public record Fetched(
      List<KafkaBatch> batches, long highWatermark, long logStartOffset, long nextOffset)
      implements Reply {}

  /** The partition's numbers; {@code topicId} empty while the partition is not configured. */
  public record Status(
      String topicId,
      TopicConfig config,
      long logStartOffset,
      long logEndOffset,
      long sizeBytes,
      int batches,
      String node)
      implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // ---- events ----

  public sealed interface Event extends CohortSerializable {}

  public record PartitionConfigured(String topicId, TopicConfig config) implements Event {}

  /**
   * One produce batch in the format before v2: read from old journals and converted on recovery
   * ({@link #toV2}), never written. {@code appendedAt} is 0 in events written before it existed.
   */
  public record BatchAppended(
      StoredBatch batch, long producerId, int producerEpoch, int baseSequence, long appendedAt)
      implements Event {
    BatchAppendedV2 toV2() {
      return new BatchAppendedV2(
          KafkaBatches.fromLegacy(batch), producerId, producerEpoch, baseSequence, appendedAt);
    }
  }

  /**
   * One produce batch, a Kafka v2 record batch with its offsets assigned. {@code appendedAt} is the
   * partition's clock at the append; it ages the producer's idempotence state.
   */
  public record BatchAppendedV2(
      KafkaBatch batch, long producerId, int producerEpoch, int baseSequence, long appendedAt)
      implements Event {}

  /** The idempotence state of producers silent for {@code producer-id-expiration} was dropped. */
  public record ProducersExpired(List<Long> producerIds) implements Event {}

  /** Retention removed every batch wholly below {@code logStartOffset}. */
  public record LogTruncated(long logStartOffset) implements Event {}

  /** {@link LogCompactedV2} in the format before v2: read from old journals, never written. */
  public record LogCompacted(
      long cleanedUpTo, List<StoredBatch> replacement, long tombstonesExpireAt) implements Event {
    LogCompactedV2 toV2() {
      return new LogCompactedV2(
          cleanedUpTo,
          replacement.stream().map(KafkaBatches::fromLegacy).toList(),
          tombstonesExpireAt);
    }
  }

  /** Compaction replaced the batches below {@code cleanedUpTo} by {@code replacement}. */
  public record LogCompactedV2(
      long cleanedUpTo, List<KafkaBatch> replacement, long tombstonesExpireAt) implements Event {}

  public record PartitionDeleted() implements Event {}

  // ---- state ----

  /** One of a producer's last batches, for duplicates (see {@link ProducerStateManager}). */
  public record ProducerBatch(int firstSequence, int lastSequence, long baseOffset, long appendTime)
      implements CohortSerializable {}

  /** One producer's idempotence state (see {@link ProducerStateManager}). */
  public record ProducerEntry(int epoch, List<ProducerBatch> recent, long lastAppendedAt)
      implements CohortSerializable {}

  /** {@link SnapshotV2} in the format before v2: read from old snapshots, never written. */
  public record Snapshot(
      String topicId,
      TopicConfig config,
      long logStartOffset,
      long logEndOffset,
      List<StoredBatch> batches,
      Map<Long, ProducerEntry> producers,
      long cleanedUpTo,
      long tombstonesExpireAt,
      long logVersion)
      implements CohortSerializable {
    SnapshotV2 toV2() {
      return new SnapshotV2(
          topicId,
          config,
          logStartOffset,
          logEndOffset,
          batches.stream().map(KafkaBatches::fromLegacy).toList(),
          producers,
          cleanedUpTo,
          tombstonesExpireAt,
          logVersion);
    }
  }

  /**
   * The snapshot form of {@link State}: immutable, taken on the actor thread. An {@link
   * UnconfiguredPartition} has an empty topic id, a null config and no batches or producers.
   */
  public record SnapshotV2(
      String topicId,
      TopicConfig config,
      long logStartOffset,
      long logEndOffset,
      List<KafkaBatch> batches,
      Map<Long, ProducerEntry> producers,
      long cleanedUpTo,
      long tombstonesExpireAt,
      long logVersion)
      implements CohortSerializable {}

  /**
   * The partition's lifecycle: {@link UnconfiguredPartition} until its topic configures it, {@link
   * ConfiguredPartition} until the topic is deleted, then unconfigured again; each stage has its
   * own command and event handlers. Mutable, confined to the entity's actor; event handlers change
   * it (returning the next stage), command handlers only read it. Never serialized itself:
   * snapshots are {@link Snapshot}s.
   */
  public abstract static sealed class State permits UnconfiguredPartition, ConfiguredPartition {
    /**
     * Rises on every truncation, compaction, deletion or re-creation; a compaction result must
     * match it. Carried from stage to stage so that a compaction started before a deletion is never
     * applied after the partition is configured again.
     */
    long logVersion;

    /** Appended since the last snapshot (or since recovery started from it); not persisted. */
    long eventsSinceSnapshot;

    long bytesSinceSnapshot;

    /** Retained bytes when the last snapshot was taken or recovered. */
    long bytesAtSnapshot;

    abstract String topicId();

    /** The topic's configs; null while unconfigured. */
    abstract TopicConfig config();

    /** The retained log; always empty while unconfigured. */
    abstract PartitionLog log();

    abstract SnapshotV2 toSnapshot();

    /** {@code next} with this stage's snapshot counters and the next log version. */
    <S extends State> S handOver(S next) {
      next.logVersion = logVersion + 1;
      next.eventsSinceSnapshot = eventsSinceSnapshot;
      next.bytesSinceSnapshot = bytesSinceSnapshot;
      next.bytesAtSnapshot = bytesAtSnapshot;
      return next;
    }

    static State fromSnapshot(SnapshotV2 s) {
      State state =
          s.config() == null ? new UnconfiguredPartition() : ConfiguredPartition.restore(s);
      state.logVersion = s.logVersion();
      state.bytesAtSnapshot = state.log().sizeBytes();
      return state;
    }
  }

  // ---- behavior ----

  private final ActorContext<Command> context;
  private final LogSettings settings;
  private final TopicPartition topicPartition;
  private final LogMetrics metrics;
  private final LogMetrics.PartitionStats stats;
  private final String node;
  private final FetchPurgatory purgatory;
  private final LogCleaner cleaner;

  private PartitionEntity(
      PersistenceId persistenceId,
      TopicPartition topicPartition,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      LogSettings settings) {
    super(persistenceId);
    this.context = context;
    this.settings = settings;
    this.topicPartition = topicPartition;
    this.metrics = LogMetrics.get(context.getSystem());
    this.stats = metrics.partition(topicPartition);
    // Not serving until the recovery below completes (also after a restart, which runs this again).
    stats.unavailable = true;
    this.node = context.getSystem().address().toString();
    this.purgatory = new FetchPurgatory(timers, FetchWaitExpired::new);
    this.cleaner =
        new LogCleaner(context.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
  }

  /**
   * The entity, restarted with backoff after a journal failure. The restart runs this factory again
   * on purpose: Pekko keeps the {@code emptyState()} object of a behavior instance across its own
   * persist-failure restarts, and this entity's state is mutable, so a restart inside the instance
   * would replay the journal onto the half-updated state.
   */
  public static Behavior<Command> create(
      PersistenceId persistenceId, TopicPartition topicPartition, LogSettings settings) {
    Behavior<Command> entity =
        Behaviors.setup(
            context ->
                Behaviors.withTimers(
                    timers -> {
                      timers.startTimerWithFixedDelay(
                          RetentionTick.INSTANCE, settings.retentionCheckInterval());
                      return new PartitionEntity(
                          persistenceId, topicPartition, context, timers, settings);
                    }));
    return Behaviors.supervise(entity).onFailure(settings.restartWithBackoff());
  }

  public static void init(ActorSystem<?> system, LogSettings settings) {
    // Placed by Cohort's consistent-hash ring, like every Cohort entity type.
    dev.cohort.sharding.EntityTypes.init(
        system,
        Entity.of(
            ENTITY_TYPE_KEY,
            ctx ->
                create(
                    PersistenceId.of(ENTITY_TYPE_KEY.name(), ctx.getEntityId()),
                    parseEntityId(ctx.getEntityId()),
                    settings)));
  }

  /** Registers the messages the entity sends only to itself (they are private). */
  static void registerPrivate(dev.cohort.persistence.KryoRegistrations.Registry registry) {
    registry.add(2190, RetentionTick.class);
    registry.add(2191, FetchWaitExpired.class);
    registry.add(2192, CompactionDone.class);
  }

  @Override
  public State emptyState() {
    return new UnconfiguredPartition();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // shouldSnapshot decides; the SnapshotCompleted handler deletes the events a snapshot covers
    // and the older snapshots (all of them, which count-based retention would not).
    return RetentionCriteria.disabled();
  }

  /**
   * Called with the state after {@code event}. Resets the since-snapshot counters when it answers
   * true: the state is confined to this actor and the snapshot is taken from it right after.
   */
  @Override
  public boolean shouldSnapshot(State state, Event event, long sequenceNr) {
    boolean due =
        event instanceof LogTruncated
            || event instanceof LogCompactedV2
            || event instanceof LogCompacted
            || event instanceof PartitionDeleted
            || (state.eventsSinceSnapshot >= settings.snapshotEvery()
                && state.bytesSinceSnapshot >= state.bytesAtSnapshot);
    if (due) {
      state.eventsSinceSnapshot = 0;
      state.bytesSinceSnapshot = 0;
      state.bytesAtSnapshot = state.log().sizeBytes();
    }
    return due;
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.toSnapshot();
      }

      @Override
      public State fromJournal(Object from) {
        return State.fromSnapshot(from instanceof Snapshot old ? old.toV2() : (SnapshotV2) from);
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            s -> {
              stats.unavailable = false;
              published(s);
            })
        .onSignal(RecoveryFailed.class, (s, f) -> stats.unavailable = true)
        // An exception restarts the entity with backoff; until it has recovered it is not
        // serving, which cohort_log_partitions_not_serving reports. (A journal failure does
        // not come here: Pekko's default persist-failure supervision stops the entity, PostStop
        // drops its stats, and the next request starts it again, counted while it recovers.)
        .onSignal(PreRestart.instance(), s -> stats.unavailable = true)
        .onSignal(
            SnapshotCompleted.class,
            (s, done) ->
                JournalCleaner.deleteBefore(
                    context.getSystem(), persistenceId().id(), done.metadata().sequenceNr()))
        .onSignal(PostStop.instance(), s -> metrics.partitionStopped(topicPartition))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(UnconfiguredPartition.class)
        .onCommand(Produce.class, (s, c) -> Effect().reply(c.replyTo(), doesNotExist()))
        .onCommand(ProduceBatches.class, (s, c) -> Effect().reply(c.replyTo(), refuse(c)))
        .onCommand(Fetch.class, (s, c) -> Effect().reply(c.replyTo(), doesNotExist()))
        .onCommand(DeletePartition.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(CheckRetention.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(RetentionTick.class, (s, c) -> Effect().noReply())
        .onCommand(CompactionDone.class, (s, c) -> compactionEnded(c, s));
    builder
        .forStateType(ConfiguredPartition.class)
        .onCommand(Produce.class, this::onProduce)
        .onCommand(ProduceBatches.class, this::onProduceBatches)
        .onCommand(Fetch.class, this::onFetch)
        .onCommand(DeletePartition.class, this::onDelete)
        .onCommand(CheckRetention.class, (s, c) -> retention(s, c.replyTo()))
        .onCommand(RetentionTick.class, this::onRetentionTick)
        .onCommand(CompactionDone.class, this::onCompactionDone);
    builder
        .forAnyState()
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(Configure.class, this::onConfigure)
        .onCommand(FetchWaitExpired.class, this::onWaitExpired);
    return builder.build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    var builder = newEventHandlerBuilder();
    builder
        .forStateType(UnconfiguredPartition.class)
        .onEvent(PartitionConfigured.class, UnconfiguredPartition::applyConfigured);
    builder
        .forStateType(ConfiguredPartition.class)
        .onEvent(PartitionConfigured.class, ConfiguredPartition::applyConfigured)
        .onEvent(BatchAppendedV2.class, ConfiguredPartition::applyAppended)
        .onEvent(BatchAppended.class, (s, e) -> s.applyAppended(e.toV2()))
        .onEvent(LogTruncated.class, ConfiguredPartition::applyTruncated)
        .onEvent(ProducersExpired.class, ConfiguredPartition::applyProducersExpired)
        .onEvent(LogCompactedV2.class, ConfiguredPartition::applyCompacted)
        .onEvent(LogCompacted.class, (s, e) -> s.applyCompacted(e.toV2()))
        .onEvent(PartitionDeleted.class, (s, e) -> s.applyDeleted());
    return builder.build();
  }

  // ---- produce ----

  private ReplyEffect<Event, State> onProduce(ConfiguredPartition state, Produce command) {
    return append(
        state,
        command.topicId(),
        new LogValidator.Request(
            command.producerId(),
            command.producerEpoch(),
            List.of(command.baseSequence()),
            List.of(command.batch()),
            false),
        command.replyTo());
  }

  private ReplyEffect<Event, State> onProduceBatches(
      ConfiguredPartition state, ProduceBatches command) {
    if (malformed(command)) {
      return Effect().reply(command.replyTo(), refuse(command));
    }
    return append(
        state,
        command.topicId(),
        new LogValidator.Request(
            command.producerId(),
            command.producerEpoch(),
            command.baseSequences(),
            command.batches(),
            true),
        command.replyTo());
  }

  private static boolean malformed(ProduceBatches command) {
    return command.batches().isEmpty()
        || command.baseSequences().size() != command.batches().size();
  }

  /** The answer to a request that cannot be appended: malformed, or no such partition. */
  private Rejected refuse(ProduceBatches command) {
    return malformed(command)
        ? new Rejected(LogError.INVALID_REQUEST.rejection("one sequence per batch"))
        : doesNotExist();
  }

  /**
   * Lets {@link LogValidator} decide the batches of one request, then writes every accepted batch
   * in one atomic journal write (group commit) and answers after it completed.
   */
  private ReplyEffect<Event, State> append(
      ConfiguredPartition state,
      String topicId,
      LogValidator.Request request,
      ActorRef<Reply> replyTo) {
    long started = System.nanoTime();
    if (!state.topicId().equals(topicId)) {
      return Effect().reply(replyTo, doesNotExist());
    }
    ProducerEntry entry =
        request.producerId() >= 0 ? state.producers().entry(request.producerId()) : null;
    LogValidator.Decision decision =
        LogValidator.validateAndAssignOffsets(
            topicPartition,
            state.config(),
            state.log().logEndOffset(),
            entry,
            request,
            System.currentTimeMillis());
    if (decision.events().isEmpty()) {
      return Effect().reply(replyTo, decision.answer());
    }
    // Persist before replying: a reply sent first could acknowledge a write that a crash loses.
    return Effect()
        .persist(decision.events())
        .thenRun(s -> appended(s, decision.events(), started))
        .thenReply(replyTo, s -> decision.answer());
  }

  /** After an append's journal write: metrics, and the parked fetches it satisfies. */
  private void appended(State state, List<Event> events, long started) {
    stats.unavailable = false;
    String topic = topicPartition.topic();
    for (Event e : events) {
      KafkaBatch b = ((BatchAppendedV2) e).batch();
      metrics.producedRecords.labelValues(topic).inc(b.recordCount());
      metrics.producedBytes.labelValues(topic).inc(b.sizeBytes());
    }
    metrics.produceSeconds.observe((System.nanoTime() - started) / 1e9);
    published(state);
    PartitionLog log = state.log();
    purgatory.answerReady(log.logStartOffset(), log.logEndOffset(), f -> answer(state, f));
  }

  // ---- fetch ----

  private ReplyEffect<Event, State> onFetch(ConfiguredPartition state, Fetch command) {
    if (!state.log().inRange(command.offset())) {
      return Effect().reply(command.replyTo(), new Rejected(outOfRange(state, command.offset())));
    }
    if (command.offset() == state.log().logEndOffset() && command.maxWaitMs() > 0) {
      long wait = Math.min(command.maxWaitMs(), settings.maxFetchWait().toMillis());
      purgatory.park(command, Duration.ofMillis(wait));
      return Effect().noReply();
    }
    return Effect().reply(command.replyTo(), read(state, command));
  }

  private Fetched read(ConfiguredPartition state, Fetch command) {
    long maxBytes = Math.min(command.maxBytes(), settings.maxFetchReplyBytes());
    List<KafkaBatch> out = state.log().read(command.offset(), maxBytes, command.maxRecords());
    long next = out.isEmpty() ? state.log().logEndOffset() : out.getLast().lastOffset() + 1;
    return new Fetched(out, state.log().logEndOffset(), state.log().logStartOffset(), next);
  }

  /** The answer to a parked fetch in {@code state} (after a write, a deletion, or its wait). */
  private Reply answer(State state, Fetch fetch) {
    return switch (state) {
      case UnconfiguredPartition u ->
          new Rejected(
              LogError.UNKNOWN_TOPIC_OR_PARTITION.rejection(
                  "partition " + topicPartition + " was deleted"));
      case ConfiguredPartition c ->
          c.log().inRange(fetch.offset())
              ? read(c, fetch)
              : new Rejected(outOfRange(c, fetch.offset()));
    };
  }

  private ReplyEffect<Event, State> onWaitExpired(State state, FetchWaitExpired command) {
    purgatory.expire(command.waiterId(), f -> answer(state, f));
    return Effect().noReply();
  }

  private Rejection outOfRange(State state, long offset) {
    return LogError.OFFSET_OUT_OF_RANGE.rejection(
        "offset "
            + offset
            + " is outside ["
            + state.log().logStartOffset()
            + ", "
            + state.log().logEndOffset()
            + "] of "
            + topicPartition);
  }

  private Rejected doesNotExist() {
    return new Rejected(
        LogError.UNKNOWN_TOPIC_OR_PARTITION.rejection(
            "partition " + topicPartition + " does not exist"));
  }

  // ---- lifecycle ----

  private ReplyEffect<Event, State> onConfigure(State state, Configure command) {
    if (command.topicId().equals(state.topicId()) && command.config().equals(state.config())) {
      return Effect().reply(command.replyTo(), status(state));
    }
    return Effect()
        .persist(new PartitionConfigured(command.topicId(), command.config()))
        .thenRun(this::published)
        .thenReply(command.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onDelete(ConfiguredPartition state, DeletePartition command) {
    if (!state.topicId().equals(command.topicId())) {
      return Effect().reply(command.replyTo(), status(state));
    }
    return Effect()
        .persist(new PartitionDeleted())
        .thenRun(this::deleted)
        .thenReply(command.replyTo(), this::status);
  }

  /** After the deletion's journal write: every parked fetch learns that the partition is gone. */
  private void deleted(State state) {
    published(state);
    purgatory.answerAll(f -> answer(state, f));
  }

  // ---- retention and compaction ----

  private ReplyEffect<Event, State> onRetentionTick(ConfiguredPartition state, RetentionTick tick) {
    long cutoff = System.currentTimeMillis() - settings.producerIdExpiration().toMillis();
    List<Long> expired = state.producers().silentSince(cutoff);
    if (!expired.isEmpty()) {
      // Written on its own; retention runs at the next tick. An expired producer that sends
      // again starts over at sequence 0, as in Kafka after producer.id.expiration.ms.
      return Effect().persist(new ProducersExpired(expired)).thenNoReply();
    }
    return retention(state, null);
  }

  /** Truncates by time and size; starts a compaction when due. Replies status if asked. */
  private ReplyEffect<Event, State> retention(ConfiguredPartition state, ActorRef<Reply> replyTo) {
    long now = System.currentTimeMillis();
    long newStart = LogRetention.newLogStart(state.log(), state.config(), now);
    if (newStart <= state.log().logStartOffset()) {
      // Compaction only in a check that truncated nothing: a truncation would void its result.
      if (cleaner.due(state.log(), state.config(), now)) {
        startCompaction(state, now);
      }
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, status(state));
    }
    var effect = Effect().persist(new LogTruncated(newStart)).thenRun(this::truncated);
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, this::status);
  }

  private void truncated(State state) {
    published(state);
    context
        .getLog()
        .debug("{} truncated to offset {}", topicPartition, state.log().logStartOffset());
  }

  private void startCompaction(ConfiguredPartition state, long now) {
    long version = state.logVersion;
    long cleanedUpTo = state.log().logEndOffset();
    context.pipeToSelf(
        cleaner.start(state.log(), state.config(), now),
        (done, failure) ->
            failure == null
                ? new CompactionDone(
                    version,
                    done.cleanedUpTo(),
                    done.replacement(),
                    done.tombstonesExpireAt(),
                    null)
                : new CompactionDone(
                    version, cleanedUpTo, List.of(), Long.MAX_VALUE, failure.toString()));
  }

  private ReplyEffect<Event, State> onCompactionDone(
      ConfiguredPartition state, CompactionDone done) {
    if (done.failure() != null || done.logVersion() != state.logVersion) {
      return compactionEnded(done, state);
    }
    cleaner.finished();
    return Effect()
        .persist(
            new LogCompactedV2(done.cleanedUpTo(), done.replacement(), done.tombstonesExpireAt()))
        .thenRun(this::published)
        .thenNoReply();
  }

  /** A compaction that is not applied: it failed, or the log changed (or went) meanwhile. */
  private ReplyEffect<Event, State> compactionEnded(CompactionDone done, State state) {
    cleaner.finished();
    if (done.failure() != null) {
      context.getLog().warn("compaction of {} failed: {}", topicPartition, done.failure());
    }
    return Effect().noReply();
  }

  private void published(State state) {
    stats.logStartOffset = state.log().logStartOffset();
    stats.logEndOffset = state.log().logEndOffset();
    stats.sizeBytes = state.log().sizeBytes();
  }

  private Status status(State state) {
    return new Status(
        state.topicId(),
        state.config(),
        state.log().logStartOffset(),
        state.log().logEndOffset(),
        state.log().sizeBytes(),
        state.log().batchCount(),
        node);
  }
}
