package dev.cohort.saga.internal;

import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.saga.ProjectionDefinition;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one generation of one projection, as a child of its {@link ProjectionEntity}: clears the
 * view first when the generation asks for it, then long-polls every partition of the source topic
 * from the committed offsets and applies each fetched batch through {@link ViewWriter} before it
 * fetches the next one. Reports each partition's position to the entity after every fetch and asks
 * it to commit offsets every {@code checkpoint-interval}; the view stays exact whatever was
 * committed (see {@link ViewWriter}). Transient failures (timeouts, unavailable entities) are
 * retried after {@code retry-backoff}; a failure retrying cannot fix fails the projection. Messages
 * to the entity go through Cluster Sharding, which also keeps the entity from being passivated
 * while its runner works.
 */
final class ProjectionRunner extends AbstractBehavior<ProjectionRunner.Command> {
  private static final Logger LOG = LoggerFactory.getLogger(ProjectionRunner.class);

  /** What the runner needs from its node. */
  record Deps(
      Kv kv,
      StreamLog log,
      ProjectionSettings settings,
      ProjectionMetrics metrics,
      ClusterSharding sharding) {}

  // Messages only the runner sends itself (local, never serialized).
  sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Cleared() implements Command {}

  private record Described(TopicDescription topic) implements Command {}

  private record Fetched(int partition, FetchResult result) implements Command {}

  private record Applied(int partition, long nextOffset) implements Command {}

  private record Failed(String what, int partition, Throwable cause) implements Command {}

  private record Refetch(int partition) implements Command {}

  private enum Describe implements Command {
    INSTANCE
  }

  private enum Checkpoint implements Command {
    INSTANCE
  }

  private enum ClearAgain implements Command {
    INSTANCE
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ProjectionDefinition definition;
  private final long generation;
  private final Map<Integer, Long> committed;
  private final boolean rebuilding;
  private final Deps deps;
  private final ViewWriter writer;
  private final ConsumerSettings consumer;
  private final EntityRef<ProjectionEntity.Command> entity;
  private final Map<Integer, Long> positions = new TreeMap<>();
  private final Map<Integer, Long> highWatermarks = new HashMap<>();

  /** Partitions whose position fell below the log start; they resume after a describe. */
  private final Set<Integer> stalled = new HashSet<>();

  private Map<Integer, Long> lastCheckpoint = Map.of();
  private boolean caughtUpReported;

  /** False until the clear this generation asked for is done: nothing is fetched before. */
  private boolean cleared;

  static Behavior<Command> create(
      ProjectionDefinition definition,
      long generation,
      Map<Integer, Long> committed,
      boolean clearFirst,
      boolean rebuilding,
      Deps deps) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  ProjectionRunner runner =
                      new ProjectionRunner(
                          context, timers, definition, generation, committed, rebuilding, deps);
                  runner.begin(clearFirst);
                  return runner;
                }));
  }

  private ProjectionRunner(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ProjectionDefinition definition,
      long generation,
      Map<Integer, Long> committed,
      boolean rebuilding,
      Deps deps) {
    super(context);
    this.context = context;
    this.timers = timers;
    this.definition = definition;
    this.generation = generation;
    this.committed = Map.copyOf(committed);
    this.rebuilding = rebuilding;
    this.deps = deps;
    this.writer =
        new ViewWriter(
            deps.kv(), definition, dev.cohort.observability.Tracing.get(context.getSystem()));
    this.consumer =
        deps.log()
            .consumerSettings()
            .with(
                Map.of(
                    "max.poll.records", Integer.toString(deps.settings().maxPollRecords()),
                    "fetch.max.wait.ms", Long.toString(deps.settings().fetchMaxWait().toMillis()),
                    "auto.offset.reset", "earliest"));
    this.entity = deps.sharding().entityRefFor(ProjectionEntity.ENTITY_TYPE_KEY, definition.name());
  }

  private void begin(boolean clearFirst) {
    cleared = !clearFirst;
    if (clearFirst) {
      clear();
    } else {
      context.getSelf().tell(Describe.INSTANCE);
    }
    timers.startTimerWithFixedDelay(Checkpoint.INSTANCE, deps.settings().checkpointInterval());
    // partitions added to the topic later are found by describing it again now and then; a
    // deleted topic is noticed the same way and fails the projection
    timers.startTimerWithFixedDelay(
        "rediscover", Describe.INSTANCE, deps.settings().wakeInterval());
  }

  private Behavior<Command> clear() {
    context.pipeToSelf(
        writer.clear(),
        (ok, failure) -> failure == null ? new Cleared() : new Failed("clear", -1, failure));
    return this;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Cleared.class, c -> onCleared())
        .onMessageEquals(ClearAgain.INSTANCE, this::clear)
        .onMessageEquals(Describe.INSTANCE, this::onDescribe)
        .onMessage(Described.class, this::onDescribed)
        .onMessage(Fetched.class, this::onFetched)
        .onMessage(Applied.class, this::onApplied)
        .onMessage(Refetch.class, r -> fetch(r.partition()))
        .onMessage(Failed.class, this::onFailed)
        .onMessageEquals(Checkpoint.INSTANCE, this::onCheckpoint)
        .onSignal(PostStop.class, s -> onStopped())
        .build();
  }

  private Behavior<Command> onCleared() {
    cleared = true;
    entity.tell(new ProjectionEntity.ReportCleared(generation));
    return onDescribe();
  }

  private Behavior<Command> onDescribe() {
    if (!cleared) {
      return this;
    }
    context.pipeToSelf(
        deps.log().describeTopic(definition.topic()),
        (topic, failure) ->
            failure == null ? new Described(topic) : new Failed("describe", -1, failure));
    return this;
  }

  private Behavior<Command> onDescribed(Described described) {
    for (TopicDescription.PartitionDescription p : described.topic().partitions()) {
      boolean known = positions.containsKey(p.partition());
      if (!known || stalled.remove(p.partition())) {
        long from =
            known ? positions.get(p.partition()) : committed.getOrDefault(p.partition(), 0L);
        positions.put(p.partition(), Math.max(from, p.logStartOffset()));
        highWatermarks.putIfAbsent(p.partition(), p.logEndOffset());
        fetch(p.partition());
      }
    }
    return this;
  }

  private Behavior<Command> fetch(int partition) {
    context.pipeToSelf(
        deps.log().fetch(definition.topic(), partition, positions.get(partition), consumer),
        (result, failure) ->
            failure == null
                ? new Fetched(partition, result)
                : new Failed("fetch", partition, failure));
    return this;
  }

  private Behavior<Command> onFetched(Fetched fetched) {
    FetchResult result = fetched.result();
    highWatermarks.put(fetched.partition(), result.highWatermark());
    if (result.records().isEmpty()) {
      return onApplied(
          new Applied(
              fetched.partition(),
              Math.max(positions.get(fetched.partition()), result.nextOffset())));
    }
    context.pipeToSelf(
        writer.apply(fetched.partition(), result.records()),
        (ok, failure) ->
            failure == null
                ? new Applied(fetched.partition(), result.nextOffset())
                : new Failed("apply", fetched.partition(), failure));
    return this;
  }

  private Behavior<Command> onApplied(Applied applied) {
    int p = applied.partition();
    positions.put(p, applied.nextOffset());
    long hw = Math.max(highWatermarks.getOrDefault(p, 0L), applied.nextOffset());
    highWatermarks.put(p, hw);
    entity.tell(new ProjectionEntity.ReportProgress(generation, p, applied.nextOffset(), hw));
    deps.metrics().lag(definition.name(), this, lag());
    if (rebuilding && !caughtUpReported && lag() == 0) {
      caughtUpReported = true;
      checkpoint(true);
    }
    return fetch(p);
  }

  private long lag() {
    long lag = 0;
    for (Map.Entry<Integer, Long> e : positions.entrySet()) {
      lag += Math.max(0, highWatermarks.getOrDefault(e.getKey(), 0L) - e.getValue());
    }
    return lag;
  }

  private Behavior<Command> onCheckpoint() {
    if (!positions.equals(lastCheckpoint)) {
      checkpoint(false);
    }
    return this;
  }

  private void checkpoint(boolean caughtUp) {
    lastCheckpoint = Map.copyOf(positions);
    entity.tell(new ProjectionEntity.CommitOffsets(generation, new TreeMap<>(positions), caughtUp));
  }

  private Behavior<Command> onFailed(Failed failed) {
    Throwable cause =
        failed.cause() instanceof CompletionException c && c.getCause() != null
            ? c.getCause()
            : failed.cause();
    String permanent = permanentProblem(cause);
    if (permanent != null) {
      LOG.warn("projection {} failed: {}", definition.name(), permanent);
      // stay idle: the entity stops this runner once it recorded the failure
      entity.tell(new ProjectionEntity.ReportFailure(generation, permanent));
      timers.cancelAll();
      return this;
    }
    LOG.debug(
        "projection {}: {} failed, retrying: {}",
        definition.name(),
        failed.what(),
        cause.toString());
    switch (failed.what()) {
      case "clear" -> timers.startSingleTimer(ClearAgain.INSTANCE, deps.settings().retryBackoff());
      case "describe" -> timers.startSingleTimer(Describe.INSTANCE, deps.settings().retryBackoff());
      default -> {
        if (cause instanceof LogException e && e.is(LogError.OFFSET_OUT_OF_RANGE)) {
          // retention removed records at our position: continue from the log start
          stalled.add(failed.partition());
          timers.startSingleTimer(Describe.INSTANCE, deps.settings().retryBackoff());
        } else {
          Refetch again = new Refetch(failed.partition());
          timers.startSingleTimer(again, again, deps.settings().retryBackoff());
        }
      }
    }
    return this;
  }

  /** Why {@code cause} cannot heal by retrying, or null when a retry may succeed. */
  private String permanentProblem(Throwable cause) {
    if (cause instanceof ViewWriter.ViewFailure f) {
      return f.getMessage();
    }
    if (cause instanceof LogException e && e.kind() == ErrorKind.NOT_FOUND) {
      return "source topic '" + definition.topic() + "': " + e.getMessage();
    }
    if (cause instanceof KvException e
        && e.kind() != ErrorKind.TIMEOUT
        && e.kind() != ErrorKind.UNAVAILABLE) {
      return "sink keyspace '" + definition.keyspace() + "': " + e.code() + ": " + e.getMessage();
    }
    return null;
  }

  private Behavior<Command> onStopped() {
    deps.metrics().stopped(definition.name(), this);
    return this;
  }
}
