package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
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
 * topic/partition}).
 *
 * <p>Storage: each produce request is one {@link BatchAppended} journal event holding the whole
 * batch as the producer compressed it; offsets are assigned here, contiguous from 0. The retained
 * log is held in memory (recovered from the latest snapshot plus later events); a snapshot is the
 * retained log, saved after every truncation, compaction or deletion and otherwise once at least
 * {@code snapshot-every} events <em>and</em> at least as many bytes as the previous snapshot held
 * have been appended since it. Events before a snapshot are then deleted, so retention and
 * compaction free journal rows. The byte rule keeps snapshotting linear: a snapshot copies the
 * whole retained log, so taking one every fixed number of small batches would copy a growing log
 * over and over (quadratic work); with it, snapshots write at most about twice the bytes produced,
 * and recovery reads one snapshot plus at most about as many bytes of events as the log holds.
 *
 * <p>Invariants: {@code logStartOffset <= logEndOffset}; batches are ordered by offset, disjoint,
 * and lie in [logStartOffset, logEndOffset); offsets never change (compaction leaves gaps). A
 * produce is answered only after its event is persisted ("acknowledged means durable"); a
 * duplicate from an idempotent producer (same producer id, epoch and sequence) is answered with the
 * original offsets without writing. Compaction runs off the actor on the blocking dispatcher over
 * an immutable view of the batches and is applied only if no truncation or compaction happened
 * meanwhile, so producers are never blocked by it.
 *
 * <p>Thread-safety: the mutable {@link State} is confined to the actor; batches are immutable and
 * shared with fetch replies and the compactor.
 */
public final class PartitionEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        PartitionEntity.Command, PartitionEntity.Event, PartitionEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "LogPartition");

  /** Idempotence keeps the last batches of each producer, like Kafka (max in-flight 5). */
  static final int PRODUCER_WINDOW = 5;

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
   * Appends one batch. {@code producerId} -1 means a producer without idempotence; otherwise
   * {@code baseSequence} numbers the batch's first record in this producer's sequence for this
   * partition and epoch.
   */
  public record Produce(
      String topicId,
      long producerId,
      int producerEpoch,
      int baseSequence,
      RecordBatches.Encoded batch,
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
      List<RecordBatches.Encoded> batches,
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
      long logVersion, long cleanedUpTo, List<StoredBatch> replacement, long tombstonesExpireAt,
      String failure)
      implements Command {}

  // ---- replies ----

  public sealed interface Reply extends CohortSerializable {}

  /** The batch's first offset (records follow contiguously) and its append time. */
  public record Appended(long baseOffset, long logAppendTime, boolean duplicate)
      implements Reply {}

  /** One {@link Appended} or {@link Rejected} per batch of a {@link ProduceBatches}. */
  public record AppendedBatches(List<Reply> results) implements Reply {}

  public record Fetched(
      List<StoredBatch> batches, long highWatermark, long logStartOffset, long nextOffset)
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
   * One produce batch. {@code appendedAt} is the partition's clock at the append (0 in events
   * written before it existed); it ages the producer's idempotence state.
   */
  public record BatchAppended(
      StoredBatch batch, long producerId, int producerEpoch, int baseSequence, long appendedAt)
      implements Event {}

  /** The idempotence state of producers silent for {@code producer-id-expiration} was dropped. */
  public record ProducersExpired(List<Long> producerIds) implements Event {}

  /** Retention removed every batch wholly below {@code logStartOffset}. */
  public record LogTruncated(long logStartOffset) implements Event {}

  /** Compaction replaced the batches below {@code cleanedUpTo} by {@code replacement}. */
  public record LogCompacted(
      long cleanedUpTo, List<StoredBatch> replacement, long tombstonesExpireAt) implements Event {}

  public record PartitionDeleted() implements Event {}

  // ---- state ----

  /** The last batches of one producer, for duplicate detection. */
  public record ProducerBatch(int firstSequence, int lastSequence, long baseOffset, long appendTime)
      implements CohortSerializable {}

  public record ProducerEntry(int epoch, List<ProducerBatch> recent, long lastAppendedAt)
      implements CohortSerializable {
    int lastSequence() {
      return recent.isEmpty() ? -1 : recent.getLast().lastSequence();
    }

    /** The entry after {@code event} (a batch of this producer) was appended. */
    static ProducerEntry after(ProducerEntry entry, BatchAppended event) {
      StoredBatch b = event.batch();
      List<ProducerBatch> recent =
          entry == null || entry.epoch() != event.producerEpoch()
              ? new ArrayList<>()
              : new ArrayList<>(entry.recent());
      recent.add(
          new ProducerBatch(
              event.baseSequence(),
              event.baseSequence() + b.recordCount() - 1,
              b.baseOffset(),
              b.logAppendTime()));
      while (recent.size() > PRODUCER_WINDOW) {
        recent.removeFirst();
      }
      return new ProducerEntry(event.producerEpoch(), List.copyOf(recent), event.appendedAt());
    }

    ProducerBatch find(int first, int last) {
      for (ProducerBatch b : recent) {
        if (b.firstSequence() == first && b.lastSequence() == last) {
          return b;
        }
      }
      return null;
    }
  }

  /** The snapshot form of {@link State}: immutable, taken on the actor thread. */
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
      implements CohortSerializable {}

  /**
   * The partition's log in memory. Mutable, confined to the entity's actor; event handlers call
   * its {@code apply} methods, command handlers only read it.
   */
  public static final class State {
    String topicId = "";
    TopicConfig config;
    long logStartOffset;
    long logEndOffset;
    long sizeBytes;
    /** Bytes of batches at or after {@link #cleanedUpTo}: written since the last compaction. */
    long dirtyBytes;
    long cleanedUpTo;
    long tombstonesExpireAt = Long.MAX_VALUE;
    /** Rises on every truncation, compaction or deletion; a compaction result must match it. */
    long logVersion;
    /** Appended since the last snapshot (or since recovery started from it); not persisted. */
    long eventsSinceSnapshot;
    long bytesSinceSnapshot;
    /** Retained bytes when the last snapshot was taken or recovered. */
    long bytesAtSnapshot;
    private final ArrayList<StoredBatch> batches = new ArrayList<>();
    private int head;
    final Map<Long, ProducerEntry> producers = new HashMap<>();

    boolean configured() {
      return config != null;
    }

    int batchCount() {
      return batches.size() - head;
    }

    StoredBatch batch(int i) {
      return batches.get(head + i);
    }

    List<StoredBatch> batchesView() {
      return List.copyOf(batches.subList(head, batches.size()));
    }

    /** Index of the first batch whose lastOffset >= offset, or batchCount() if none. */
    int indexFor(long offset) {
      int lo = 0;
      int hi = batchCount();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (batch(mid).lastOffset() < offset) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    State applyConfigured(PartitionConfigured e) {
      if (!e.topicId().equals(topicId)) {
        clear();
      }
      topicId = e.topicId();
      config = e.config();
      return this;
    }

    State applyAppended(BatchAppended e) {
      StoredBatch b = e.batch();
      batches.add(b);
      logEndOffset = b.lastOffset() + 1;
      sizeBytes += b.sizeBytes();
      dirtyBytes += b.sizeBytes();
      eventsSinceSnapshot++;
      bytesSinceSnapshot += b.sizeBytes();
      if (e.producerId() >= 0) {
        producers.put(e.producerId(), ProducerEntry.after(producers.get(e.producerId()), e));
      }
      return this;
    }

    State applyProducersExpired(ProducersExpired e) {
      e.producerIds().forEach(producers::remove);
      return this;
    }

    State applyTruncated(LogTruncated e) {
      while (head < batches.size() && batches.get(head).lastOffset() < e.logStartOffset()) {
        StoredBatch removed = batches.get(head);
        sizeBytes -= removed.sizeBytes();
        if (removed.baseOffset() >= cleanedUpTo) {
          dirtyBytes -= removed.sizeBytes();
        }
        batches.set(head, null);
        head++;
      }
      if (head > 64 && head > batches.size() / 2) {
        batches.subList(0, head).clear();
        head = 0;
      }
      logStartOffset = Math.max(logStartOffset, e.logStartOffset());
      logVersion++;
      return this;
    }

    State applyCompacted(LogCompacted e) {
      List<StoredBatch> kept = new ArrayList<>(e.replacement());
      for (int i = 0; i < batchCount(); i++) {
        if (batch(i).lastOffset() >= e.cleanedUpTo()) {
          kept.add(batch(i));
        }
      }
      batches.clear();
      head = 0;
      sizeBytes = 0;
      dirtyBytes = 0;
      for (StoredBatch b : kept) {
        if (b.lastOffset() >= logStartOffset) {
          batches.add(b);
          sizeBytes += b.sizeBytes();
          if (b.baseOffset() >= e.cleanedUpTo()) {
            dirtyBytes += b.sizeBytes();
          }
        }
      }
      cleanedUpTo = e.cleanedUpTo();
      tombstonesExpireAt = e.tombstonesExpireAt();
      logVersion++;
      return this;
    }

    State applyDeleted() {
      clear();
      topicId = "";
      config = null;
      return this;
    }

    private void clear() {
      batches.clear();
      head = 0;
      producers.clear();
      sizeBytes = 0;
      dirtyBytes = 0;
      logStartOffset = 0;
      logEndOffset = 0;
      cleanedUpTo = 0;
      tombstonesExpireAt = Long.MAX_VALUE;
      logVersion++;
    }

    Snapshot toSnapshot() {
      return new Snapshot(
          topicId,
          config,
          logStartOffset,
          logEndOffset,
          batchesView(),
          Map.copyOf(producers),
          cleanedUpTo,
          tombstonesExpireAt,
          logVersion);
    }

    static State fromSnapshot(Snapshot s) {
      State state = new State();
      state.topicId = s.topicId() == null ? "" : s.topicId();
      state.config = s.config();
      state.logStartOffset = s.logStartOffset();
      state.logEndOffset = s.logEndOffset();
      state.cleanedUpTo = s.cleanedUpTo();
      state.tombstonesExpireAt = s.tombstonesExpireAt();
      state.logVersion = s.logVersion();
      state.producers.putAll(s.producers());
      for (StoredBatch b : s.batches()) {
        state.batches.add(b);
        state.sizeBytes += b.sizeBytes();
        if (b.baseOffset() >= s.cleanedUpTo()) {
          state.dirtyBytes += b.sizeBytes();
        }
      }
      state.bytesAtSnapshot = state.sizeBytes;
      return state;
    }
  }

  // ---- behavior ----

  private record Waiter(long id, Fetch fetch) {}

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final LogSettings settings;
  private final TopicPartition topicPartition;
  private final LogMetrics metrics;
  private final LogMetrics.PartitionStats stats;
  private final String node;
  /** Parked long-poll fetches, answered when data arrives or their wait expires. Transient. */
  private final Map<Long, Waiter> waiters = new TreeMap<>();
  private long nextWaiterId;
  private boolean compacting;

  private PartitionEntity(
      PersistenceId persistenceId,
      TopicPartition topicPartition,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      LogSettings settings) {
    super(persistenceId);
    this.context = context;
    this.timers = timers;
    this.settings = settings;
    this.topicPartition = topicPartition;
    this.metrics = LogMetrics.get(context.getSystem());
    this.stats = metrics.partition(topicPartition);
    // Not serving until the recovery below completes (also after a restart, which runs this again).
    stats.unavailable = true;
    this.node = context.getSystem().address().toString();
  }

  /**
   * The entity, restarted with backoff after a journal failure. The restart runs this factory
   * again on purpose: Pekko keeps the {@code emptyState()} object of a behavior instance across
   * its own persist-failure restarts, and this entity's state is mutable, so a restart inside the
   * instance would replay the journal onto the half-updated state.
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
    return Behaviors.supervise(entity)
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                settings.restartBackoffMin(), settings.restartBackoffMax(), 0.2));
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
    return new State();
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
            || event instanceof LogCompacted
            || event instanceof PartitionDeleted
            || (state.eventsSinceSnapshot >= settings.snapshotEvery()
                && state.bytesSinceSnapshot >= state.bytesAtSnapshot);
    if (due) {
      state.eventsSinceSnapshot = 0;
      state.bytesSinceSnapshot = 0;
      state.bytesAtSnapshot = state.sizeBytes;
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
        return State.fromSnapshot((Snapshot) from);
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
        // serving, which cohort_log_under_replicated_partitions reports. (A journal failure does
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
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Produce.class, this::onProduce)
        .onCommand(ProduceBatches.class, this::onProduceBatches)
        .onCommand(Fetch.class, this::onFetch)
        .onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), status(s)))
        .onCommand(Configure.class, this::onConfigure)
        .onCommand(DeletePartition.class, this::onDelete)
        .onCommand(CheckRetention.class, this::onCheckRetention)
        .onCommand(RetentionTick.class, this::onRetentionTick)
        .onCommand(FetchWaitExpired.class, this::onWaitExpired)
        .onCommand(CompactionDone.class, this::onCompactionDone)
        .build();
  }

  private ReplyEffect<Event, State> onProduce(State state, Produce command) {
    return append(
        state,
        command.topicId(),
        command.producerId(),
        command.producerEpoch(),
        List.of(command.baseSequence()),
        List.of(command.batch()),
        command.replyTo(),
        false);
  }

  private ReplyEffect<Event, State> onProduceBatches(State state, ProduceBatches command) {
    if (command.batches().isEmpty()
        || command.baseSequences().size() != command.batches().size()) {
      return Effect()
          .reply(
              command.replyTo(),
              new Rejected(Rejection.invalid("invalid_request", "one sequence per batch")));
    }
    return append(
        state,
        command.topicId(),
        command.producerId(),
        command.producerEpoch(),
        command.baseSequences(),
        command.batches(),
        command.replyTo(),
        true);
  }

  /**
   * Decides the batches of one request in order against the state plus the batches accepted
   * before them in the same request, then writes every accepted batch in one atomic journal write
   * (group commit) and answers after it completed. Once a batch is refused, the later ones are
   * refused too, so that a request never leaves a gap in a producer's sequence.
   */
  private ReplyEffect<Event, State> append(
      State state,
      String topicId,
      long producerId,
      int producerEpoch,
      List<Integer> baseSequences,
      List<RecordBatches.Encoded> batches,
      ActorRef<Reply> replyTo,
      boolean many) {
    long started = System.nanoTime();
    Rejection topicInvalid = validateTopic(state, topicId);
    if (topicInvalid != null) {
      return Effect().reply(replyTo, new Rejected(topicInvalid));
    }
    long now = System.currentTimeMillis();
    long appendTime =
        state.config.timestampType() == TopicConfig.TimestampType.LOG_APPEND_TIME ? now : -1;
    ProducerEntry entry = producerId >= 0 ? state.producers.get(producerId) : null;
    long nextOffset = state.logEndOffset;
    List<Event> events = new ArrayList<>();
    List<Reply> results = new ArrayList<>();
    Rejected refused = null;
    for (int i = 0; i < batches.size(); i++) {
      RecordBatches.Encoded batch = batches.get(i);
      int baseSequence = baseSequences.get(i);
      if (refused != null) {
        results.add(
            rejected(
                ErrorKind.CONFLICT,
                "out_of_order_sequence",
                "an earlier batch of the same request was refused: "
                    + refused.rejection().message()));
        continue;
      }
      Rejection invalid = validateBatch(state, batch);
      if (invalid == null && producerId >= 0) {
        int last = baseSequence + batch.recordCount() - 1;
        if (entry != null && producerEpoch < entry.epoch()) {
          invalid =
              new Rejection(
                  ErrorKind.CONFLICT,
                  "invalid_producer_epoch",
                  "producer " + producerId + " epoch " + producerEpoch + " is older than "
                      + entry.epoch());
        } else {
          boolean sameEpoch = entry != null && producerEpoch == entry.epoch();
          ProducerBatch duplicate = sameEpoch ? entry.find(baseSequence, last) : null;
          if (duplicate != null) {
            results.add(new Appended(duplicate.baseOffset(), duplicate.appendTime(), true));
            continue;
          }
          int expected = sameEpoch ? entry.lastSequence() + 1 : 0;
          if (entry == null && baseSequence != 0) {
            // Its state expired (or was never here): the producer must start a new epoch.
            invalid =
                new Rejection(
                    ErrorKind.CONFLICT,
                    "unknown_producer_id",
                    "partition " + topicPartition + " has no state for producer " + producerId
                        + "; start a new epoch at sequence 0");
          } else if (baseSequence != expected) {
            invalid =
                new Rejection(
                    ErrorKind.CONFLICT,
                    "out_of_order_sequence",
                    "producer " + producerId + " sent sequence " + baseSequence + " to "
                        + topicPartition + "; expected " + expected);
          }
        }
      }
      if (invalid != null) {
        refused = new Rejected(invalid);
        results.add(refused);
        continue;
      }
      StoredBatch stored =
          new StoredBatch(
              nextOffset,
              nextOffset + batch.recordCount() - 1,
              batch.recordCount(),
              batch.baseTimestamp(),
              batch.maxTimestamp(),
              appendTime,
              batch.codec(),
              batch.uncompressedBytes(),
              batch.payload());
      nextOffset += batch.recordCount();
      BatchAppended event =
          new BatchAppended(stored, producerId, producerEpoch, baseSequence, now);
      if (producerId >= 0) {
        entry = ProducerEntry.after(entry, event);
      }
      events.add(event);
      results.add(new Appended(stored.baseOffset(), appendTime, false));
    }
    Reply answer = many ? new AppendedBatches(List.copyOf(results)) : results.getFirst();
    if (events.isEmpty()) {
      return Effect().reply(replyTo, answer);
    }
    String topic = topicPartition.topic();
    // Persist before replying: a reply sent first could acknowledge a write that a crash loses.
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              stats.unavailable = false;
              for (Event e : events) {
                StoredBatch b = ((BatchAppended) e).batch();
                metrics.producedRecords.labelValues(topic).inc(b.recordCount());
                metrics.producedBytes.labelValues(topic).inc(b.sizeBytes());
              }
              metrics.produceSeconds.observe((System.nanoTime() - started) / 1e9);
              published(s);
              answerWaiters(s);
            })
        .thenReply(replyTo, s -> answer);
  }

  private Rejection validateTopic(State state, String topicId) {
    if (!state.configured() || !state.topicId.equals(topicId)) {
      return Rejection.notFound(
          "unknown_topic_or_partition", "partition " + topicPartition + " does not exist");
    }
    return null;
  }

  private Rejection validateBatch(State state, RecordBatches.Encoded batch) {
    if (batch == null || batch.recordCount() < 1 || batch.payload() == null) {
      return Rejection.invalid("invalid_request", "a produce batch must hold records");
    }
    if (batch.codec() == TopicConfig.CompressionType.PRODUCER) {
      return Rejection.invalid("invalid_request", "a batch needs a concrete codec");
    }
    long size = batch.payload().length + (long) RecordBatches.BATCH_OVERHEAD_BYTES;
    if (size > state.config.maxMessageBytes()) {
      return new Rejection(
          ErrorKind.TOO_LARGE,
          "record_too_large",
          "a batch of " + size + " bytes is over max.message.bytes = "
              + state.config.maxMessageBytes() + " of topic '" + topicPartition.topic() + "'");
    }
    if (state.config.cleanupPolicy().compacts() && batch.anyNullKey()) {
      return Rejection.invalid(
          "invalid_record",
          "topic '" + topicPartition.topic() + "' is compacted: every record needs a key");
    }
    return null;
  }

  private ReplyEffect<Event, State> onFetch(State state, Fetch command) {
    if (!state.configured()) {
      return Effect()
          .reply(
              command.replyTo(),
              new Rejected(
                  Rejection.notFound(
                      "unknown_topic_or_partition",
                      "partition " + topicPartition + " does not exist")));
    }
    if (command.offset() < state.logStartOffset || command.offset() > state.logEndOffset) {
      return Effect().reply(command.replyTo(), new Rejected(outOfRange(state, command.offset())));
    }
    if (command.offset() == state.logEndOffset && command.maxWaitMs() > 0) {
      long id = nextWaiterId++;
      waiters.put(id, new Waiter(id, command));
      long wait = Math.min(command.maxWaitMs(), settings.maxFetchWait().toMillis());
      timers.startSingleTimer(waiterKey(id), new FetchWaitExpired(id), Duration.ofMillis(wait));
      return Effect().noReply();
    }
    return Effect().reply(command.replyTo(), read(state, command));
  }

  private Fetched read(State state, Fetch command) {
    List<StoredBatch> out = new ArrayList<>();
    long maxBytes = Math.min(command.maxBytes(), settings.maxFetchReplyBytes());
    long bytes = 0;
    long records = 0;
    long next = state.logEndOffset;
    for (int i = state.indexFor(command.offset()); i < state.batchCount(); i++) {
      StoredBatch b = state.batch(i);
      if (!out.isEmpty()
          && (bytes + b.sizeBytes() > maxBytes || records >= command.maxRecords())) {
        break;
      }
      out.add(b);
      bytes += b.sizeBytes();
      records += b.recordCount();
    }
    if (!out.isEmpty()) {
      next = out.getLast().lastOffset() + 1;
    }
    return new Fetched(List.copyOf(out), state.logEndOffset, state.logStartOffset, next);
  }

  private Rejection outOfRange(State state, long offset) {
    return Rejection.invalid(
        "offset_out_of_range",
        "offset " + offset + " is outside [" + state.logStartOffset + ", " + state.logEndOffset
            + "] of " + topicPartition);
  }

  private void answerWaiters(State state) {
    if (waiters.isEmpty()) {
      return;
    }
    Iterator<Waiter> it = waiters.values().iterator();
    while (it.hasNext()) {
      Waiter waiter = it.next();
      if (waiter.fetch().offset() < state.logEndOffset
          || waiter.fetch().offset() < state.logStartOffset) {
        it.remove();
        timers.cancel(waiterKey(waiter.id()));
        waiter.fetch().replyTo().tell(answer(state, waiter.fetch()));
      }
    }
  }

  private Reply answer(State state, Fetch fetch) {
    if (!state.configured()) {
      return new Rejected(
          Rejection.notFound(
              "unknown_topic_or_partition", "partition " + topicPartition + " was deleted"));
    }
    if (fetch.offset() < state.logStartOffset || fetch.offset() > state.logEndOffset) {
      return new Rejected(outOfRange(state, fetch.offset()));
    }
    return read(state, fetch);
  }

  private ReplyEffect<Event, State> onWaitExpired(State state, FetchWaitExpired command) {
    Waiter waiter = waiters.remove(command.waiterId());
    if (waiter != null) {
      waiter.fetch().replyTo().tell(answer(state, waiter.fetch()));
    }
    return Effect().noReply();
  }

  private static String waiterKey(long id) {
    return "fetch-wait-" + id;
  }

  private ReplyEffect<Event, State> onConfigure(State state, Configure command) {
    if (command.topicId().equals(state.topicId) && command.config().equals(state.config)) {
      return Effect().reply(command.replyTo(), status(state));
    }
    return Effect()
        .persist(new PartitionConfigured(command.topicId(), command.config()))
        .thenRun(this::published)
        .thenReply(command.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onDelete(State state, DeletePartition command) {
    if (!state.configured() || !state.topicId.equals(command.topicId())) {
      return Effect().reply(command.replyTo(), status(state));
    }
    return Effect()
        .persist(new PartitionDeleted())
        .thenRun(
            s -> {
              published(s);
              answerWaiters(s);
              for (Waiter w : List.copyOf(waiters.values())) {
                waiters.remove(w.id());
                w.fetch().replyTo().tell(answer(s, w.fetch()));
              }
            })
        .thenReply(command.replyTo(), this::status);
  }

  private ReplyEffect<Event, State> onRetentionTick(State state, RetentionTick tick) {
    long cutoff = System.currentTimeMillis() - settings.producerIdExpiration().toMillis();
    List<Long> expired = new ArrayList<>();
    state.producers.forEach(
        (id, entry) -> {
          if (entry.lastAppendedAt() < cutoff) {
            expired.add(id);
          }
        });
    if (!expired.isEmpty()) {
      // Written on its own; retention runs at the next tick. An expired producer that sends
      // again starts over at sequence 0, as in Kafka after producer.id.expiration.ms.
      return Effect().persist(new ProducersExpired(List.copyOf(expired))).thenNoReply();
    }
    return retention(state, null);
  }

  private ReplyEffect<Event, State> onCheckRetention(State state, CheckRetention command) {
    return retention(state, command.replyTo());
  }

  /** Truncates by time and size; starts a compaction when due. Replies status if asked. */
  private ReplyEffect<Event, State> retention(State state, ActorRef<Reply> replyTo) {
    if (!state.configured()) {
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, status(state));
    }
    TopicConfig config = state.config;
    long now = System.currentTimeMillis();
    long newStart = state.logStartOffset;
    if (config.cleanupPolicy().deletes()) {
      long remaining = state.sizeBytes;
      for (int i = 0; i < state.batchCount(); i++) {
        StoredBatch b = state.batch(i);
        boolean expired = config.retentionMs() >= 0 && b.retentionTimestamp() < now - config.retentionMs();
        boolean oversize = config.retentionBytes() >= 0 && remaining > config.retentionBytes();
        if (!expired && !oversize) {
          break;
        }
        remaining -= b.sizeBytes();
        newStart = b.lastOffset() + 1;
      }
    }
    if (newStart <= state.logStartOffset) {
      // Compaction only in a check that truncated nothing: a truncation would void its result.
      if (config.cleanupPolicy().compacts() && !compacting) {
        boolean dirty =
            state.dirtyBytes > 0
                && state.dirtyBytes >= config.minCleanableDirtyRatio() * state.sizeBytes;
        if (dirty || now >= state.tombstonesExpireAt) {
          startCompaction(state, now);
        }
      }
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, status(state));
    }
    var effect =
        Effect()
            .persist(new LogTruncated(newStart))
            .thenRun(
                s -> {
                  published(s);
                  context.getLog().debug("{} truncated to offset {}", topicPartition, s.logStartOffset);
                });
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, this::status);
  }

  private void startCompaction(State state, long now) {
    compacting = true;
    List<StoredBatch> view = state.batchesView();
    long cleanedUpTo = state.logEndOffset;
    long version = state.logVersion;
    long deleteRetentionMs = state.config.deleteRetentionMs();
    Executor blocking =
        context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    CompletableFuture<CompactionDone> result =
        CompletableFuture.supplyAsync(
            () -> Compactor.compact(view, cleanedUpTo, version, deleteRetentionMs, now), blocking);
    context.pipeToSelf(
        result,
        (done, failure) ->
            failure == null
                ? done
                : new CompactionDone(version, cleanedUpTo, List.of(), Long.MAX_VALUE,
                    failure.toString()));
  }

  private ReplyEffect<Event, State> onCompactionDone(State state, CompactionDone done) {
    compacting = false;
    if (done.failure() != null) {
      context.getLog().warn("compaction of {} failed: {}", topicPartition, done.failure());
      return Effect().noReply();
    }
    if (done.logVersion() != state.logVersion || !state.configured()) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new LogCompacted(done.cleanedUpTo(), done.replacement(), done.tombstonesExpireAt()))
        .thenRun(this::published)
        .thenNoReply();
  }

  private void published(State state) {
    stats.logStartOffset = state.logStartOffset;
    stats.logEndOffset = state.logEndOffset;
    stats.sizeBytes = state.sizeBytes;
  }

  private Status status(State state) {
    return new Status(
        state.topicId,
        state.config,
        state.logStartOffset,
        state.logEndOffset,
        state.sizeBytes,
        state.batchCount(),
        node);
  }

  private static Rejected rejected(ErrorKind kind, String code, String message) {
    return new Rejected(new Rejection(kind, code, message));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(PartitionConfigured.class, State::applyConfigured)
        .onEvent(BatchAppended.class, State::applyAppended)
        .onEvent(LogTruncated.class, State::applyTruncated)
        .onEvent(ProducersExpired.class, State::applyProducersExpired)
        .onEvent(LogCompacted.class, State::applyCompacted)
        .onEvent(PartitionDeleted.class, (s, e) -> s.applyDeleted())
        .build();
  }

  /**
   * Compaction of an immutable list of batches: keeps the latest record per key (by offset) and
   * tombstones younger than {@code delete.retention.ms}; rewrites only batches that lose records
   * and drops batches left empty. Pure and thread-safe.
   */
  static final class Compactor {
    private Compactor() {}

    static CompactionDone compact(
        List<StoredBatch> batches, long cleanedUpTo, long version, long deleteRetentionMs,
        long now) {
      Map<ByteBuffer, Long> latest = new HashMap<>();
      List<List<RecordBatches.Entry>> decoded = new ArrayList<>(batches.size());
      for (StoredBatch b : batches) {
        List<RecordBatches.Entry> entries = RecordBatches.entries(b);
        decoded.add(entries);
        for (RecordBatches.Entry entry : entries) {
          if (entry.key() != null) {
            latest.put(ByteBuffer.wrap(entry.key()), entry.offset());
          }
        }
      }
      List<StoredBatch> replacement = new ArrayList<>();
      long tombstonesExpireAt = Long.MAX_VALUE;
      ArrayDeque<RecordBatches.Entry> kept = new ArrayDeque<>();
      for (int i = 0; i < batches.size(); i++) {
        StoredBatch b = batches.get(i);
        kept.clear();
        for (RecordBatches.Entry entry : decoded.get(i)) {
          if (entry.key() == null) {
            kept.add(entry);
            continue;
          }
          if (latest.get(ByteBuffer.wrap(entry.key())) != entry.offset()) {
            continue;
          }
          if (entry.value() == null) {
            long time = b.logAppendTime() >= 0 ? b.logAppendTime() : entry.timestamp();
            long expiresAt = time + deleteRetentionMs;
            if (expiresAt <= now) {
              continue;
            }
            tombstonesExpireAt = Math.min(tombstonesExpireAt, expiresAt);
          }
          kept.add(entry);
        }
        if (kept.size() == b.recordCount()) {
          replacement.add(b);
        } else if (!kept.isEmpty()) {
          replacement.add(RecordBatches.rewrite(b, List.copyOf(kept)));
        }
      }
      return new CompactionDone(
          version, cleanedUpTo, List.copyOf(replacement), tombstonesExpireAt, null);
    }
  }
}
