package dev.cohort.saga.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.saga.ProjectionDefinition;
import dev.cohort.saga.ProjectionState;
import dev.cohort.saga.ProjectionStatus;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import dev.cohort.sharding.EntityTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One projection (entity id = its name): its definition, state, generation and committed offsets,
 * and — while RUNNING or REBUILDING — its {@link ProjectionRunner} as a child, so the runner lives
 * on whichever node hosts the entity and moves with it. Every generation (creation, each rebuild)
 * starts by clearing the view keys it owns; offsets are committed only after the clear is recorded,
 * so a restart never resumes from offsets over a half-cleared view. Messages from a runner of an
 * older generation are ignored.
 *
 * <p>The runner's positions and the log end offsets it saw are kept in memory only (they change
 * with every fetch); committed offsets are journaled every {@code checkpoint-interval}.
 */
public final class ProjectionEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ProjectionEntity.Command, ProjectionEntity.Event, ProjectionEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "saga-projection");

  // Command
  public sealed interface Command extends CohortSerializable {}

  public record Create(ProjectionDefinition definition, ActorRef<Reply> replyTo)
      implements Command {}

  public record GetStatus(ActorRef<Reply> replyTo) implements Command {}

  public record Rebuild(ActorRef<Reply> replyTo) implements Command {}

  public record StopRunning(ActorRef<Reply> replyTo) implements Command {}

  public record Resume(ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ActorRef<Reply> replyTo) implements Command {}

  /** Starts the runner if the projection should run and none does (sent by every node's waker). */
  public enum Wake implements Command {
    INSTANCE
  }

  /** From the runner: a partition's position and the log end offset it saw. */
  public record ReportProgress(long generation, int partition, long position, long highWatermark)
      implements Command {}

  /** From the runner: commit these positions; {@code caughtUp} ends a rebuild. */
  public record CommitOffsets(long generation, Map<Integer, Long> offsets, boolean caughtUp)
      implements Command {
    public CommitOffsets {
      offsets = Map.copyOf(offsets);
    }
  }

  /** From the runner: the view keys of this generation's predecessors are gone. */
  public record ReportCleared(long generation) implements Command {}

  /** From the runner: a problem retrying cannot fix. */
  public record ReportFailure(long generation, String reason) implements Command {}

  /** The runner child (by spawn number) stopped. */
  public record RunnerTerminated(long spawn) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  public record Status(ProjectionStatus status) implements Reply {}

  public record Removed(String name) implements Reply {}

  public record Refused(Rejection rejection) implements Reply, EntityReplies.Refusal {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record Defined(ProjectionDefinition definition) implements Event {}

  public record RebuildStarted(long generation) implements Event {}

  public record ViewCleared(long generation) implements Event {}

  public record OffsetsCommitted(long generation, Map<Integer, Long> offsets, boolean caughtUp)
      implements Event {
    public OffsetsCommitted {
      offsets = Map.copyOf(offsets);
    }
  }

  public record ProjectionFailed(long generation, String reason) implements Event {}

  public record Stopped() implements Event {}

  public record Resumed() implements Event {}

  public record Deleted() implements Event {}

  // State
  /**
   * @param definition null before creation and after a delete
   * @param generation grows with every creation and rebuild, never reused
   * @param viewCleared whether this generation's clear is done (offsets are committed only then)
   * @param offsets committed offsets by source partition
   */
  public record State(
      ProjectionDefinition definition,
      ProjectionState status,
      String reason,
      long generation,
      boolean viewCleared,
      Map<Integer, Long> offsets)
      implements CohortSerializable {
    public State {
      offsets = offsets == null ? Map.of() : Map.copyOf(offsets);
    }

    boolean exists() {
      return definition != null;
    }

    boolean shouldRun() {
      return exists()
          && (status == ProjectionState.RUNNING || status == ProjectionState.REBUILDING);
    }

    State defined(Defined e) {
      return new State(
          e.definition(), ProjectionState.RUNNING, null, generation + 1, false, Map.of());
    }

    State rebuildStarted(RebuildStarted e) {
      return new State(
          definition, ProjectionState.REBUILDING, null, e.generation(), false, Map.of());
    }

    State viewCleared(ViewCleared e) {
      return new State(definition, status, reason, generation, true, offsets);
    }

    State committed(OffsetsCommitted e) {
      ProjectionState next =
          e.caughtUp() && status == ProjectionState.REBUILDING ? ProjectionState.RUNNING : status;
      return new State(definition, next, reason, generation, viewCleared, e.offsets());
    }

    State failed(ProjectionFailed e) {
      return new State(
          definition, ProjectionState.FAILED, e.reason(), generation, viewCleared, offsets);
    }

    State stopped() {
      return new State(definition, ProjectionState.STOPPED, null, generation, viewCleared, offsets);
    }

    State resumed() {
      return new State(definition, ProjectionState.RUNNING, null, generation, viewCleared, offsets);
    }

    State deleted() {
      return new State(null, ProjectionState.STOPPED, null, generation, false, Map.of());
    }
  }

  // ---- behaviour ----

  private record Progress(long position, long highWatermark) {}

  private final String name;
  private final ActorContext<Command> context;
  private final ProjectionRunner.Deps deps;
  private final Map<Integer, Progress> progress = new TreeMap<>();
  private ActorRef<ProjectionRunner.Command> runner;
  private long runnerGeneration;
  private long spawns;

  /** Registers the entity type with Cluster Sharding on this node. */
  static void init(ActorSystem<?> system, ProjectionRunner.Deps deps) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), deps)));
  }

  static Behavior<Command> create(String name, ProjectionRunner.Deps deps) {
    return Behaviors.setup(context -> new ProjectionEntity(name, context, deps));
  }

  private ProjectionEntity(String name, ActorContext<Command> context, ProjectionRunner.Deps deps) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), name), deps.settings().restartStrategy());
    this.name = name;
    this.context = context;
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return new State(null, ProjectionState.STOPPED, null, 0, false, Map.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::ensureRunner)
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(GetStatus.class, (state, get) -> reply(state, get.replyTo(), false))
        .onCommand(Rebuild.class, this::onRebuild)
        .onCommand(StopRunning.class, this::onStop)
        .onCommand(Resume.class, this::onResume)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Wake.class, (state, wake) -> onWake(state))
        .onCommand(ReportProgress.class, this::onProgress)
        .onCommand(CommitOffsets.class, this::onCommit)
        .onCommand(ReportCleared.class, this::onCleared)
        .onCommand(ReportFailure.class, this::onFailure)
        .onCommand(RunnerTerminated.class, this::onRunnerTerminated)
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create create) {
    if (state.exists()) {
      if (state.definition().equals(create.definition())) {
        return reply(state, create.replyTo(), false);
      }
      return Effect()
          .reply(
              create.replyTo(),
              new Refused(
                  SagaError.PROJECTION_EXISTS.rejection(
                      "projection '"
                          + name
                          + "' exists with another definition: "
                          + state.definition().toJson()
                          + "; delete it first")));
    }
    try {
      create.definition().validate();
    } catch (SagaException e) {
      return Effect().reply(create.replyTo(), new Refused(e.toRejection()));
    }
    return Effect()
        .persist(new Defined(create.definition()))
        .thenRun(this::ensureRunner)
        .thenReply(create.replyTo(), next -> new Status(status(next, true)));
  }

  private ReplyEffect<Event, State> onRebuild(State state, Rebuild rebuild) {
    if (!state.exists()) {
      return Effect().reply(rebuild.replyTo(), notFound());
    }
    return Effect()
        .persist(new RebuildStarted(state.generation() + 1))
        .thenRun(this::ensureRunner)
        .thenReply(rebuild.replyTo(), next -> new Status(status(next, false)));
  }

  private ReplyEffect<Event, State> onStop(State state, StopRunning stop) {
    if (!state.exists()) {
      return Effect().reply(stop.replyTo(), notFound());
    }
    if (!state.shouldRun()) {
      return Effect().reply(stop.replyTo(), invalidState(state, "stop"));
    }
    return Effect()
        .persist(new Stopped())
        .thenRun(this::ensureRunner)
        .thenReply(stop.replyTo(), next -> new Status(status(next, false)));
  }

  private ReplyEffect<Event, State> onResume(State state, Resume resume) {
    if (!state.exists()) {
      return Effect().reply(resume.replyTo(), notFound());
    }
    if (state.status() != ProjectionState.STOPPED) {
      return Effect().reply(resume.replyTo(), invalidState(state, "resume"));
    }
    return Effect()
        .persist(new Resumed())
        .thenRun(this::ensureRunner)
        .thenReply(resume.replyTo(), next -> new Status(status(next, false)));
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete delete) {
    if (!state.exists()) {
      return Effect().reply(delete.replyTo(), notFound());
    }
    return Effect()
        .persist(new Deleted())
        .thenRun(this::ensureRunner)
        .thenReply(delete.replyTo(), next -> new Removed(name));
  }

  private ReplyEffect<Event, State> onWake(State state) {
    ensureRunner(state);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onProgress(State state, ReportProgress report) {
    if (report.generation() == state.generation() && runner != null) {
      progress.put(report.partition(), new Progress(report.position(), report.highWatermark()));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onCommit(State state, CommitOffsets commit) {
    // offsets before the clear is recorded would let a restart skip records over a view that
    // still has to be cleared
    if (commit.generation() != state.generation() || !state.shouldRun() || !state.viewCleared()) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new OffsetsCommitted(commit.generation(), commit.offsets(), commit.caughtUp()))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onCleared(State state, ReportCleared cleared) {
    if (cleared.generation() != state.generation() || !state.exists() || state.viewCleared()) {
      return Effect().noReply();
    }
    return Effect().persist(new ViewCleared(cleared.generation())).thenNoReply();
  }

  private ReplyEffect<Event, State> onFailure(State state, ReportFailure failure) {
    if (failure.generation() != state.generation() || !state.shouldRun()) {
      return Effect().noReply();
    }
    return Effect()
        .persist(new ProjectionFailed(failure.generation(), failure.reason()))
        .thenRun(this::ensureRunner)
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onRunnerTerminated(State state, RunnerTerminated terminated) {
    if (terminated.spawn() == spawns && runner != null) {
      // a crashed runner: the next wake starts a fresh one from the committed offsets
      runner = null;
      progress.clear();
    }
    return Effect().noReply();
  }

  /** Starts, replaces or stops the runner child to match {@code state}. */
  private void ensureRunner(State state) {
    if (runner != null && (!state.shouldRun() || runnerGeneration != state.generation())) {
      context.stop(runner);
      runner = null;
      progress.clear();
    }
    if (state.shouldRun() && runner == null) {
      spawns++;
      runner =
          context.spawn(
              ProjectionRunner.create(
                  state.definition(),
                  state.generation(),
                  state.offsets(),
                  !state.viewCleared(),
                  state.status() == ProjectionState.REBUILDING,
                  deps),
              "runner-" + spawns);
      context.watchWith(runner, new RunnerTerminated(spawns));
      runnerGeneration = state.generation();
    }
  }

  private ReplyEffect<Event, State> reply(State state, ActorRef<Reply> replyTo, boolean created) {
    if (!state.exists()) {
      return Effect().reply(replyTo, notFound());
    }
    return Effect().reply(replyTo, new Status(status(state, created)));
  }

  private ProjectionStatus status(State state, boolean created) {
    TreeSet<Integer> partitions = new TreeSet<>(state.offsets().keySet());
    partitions.addAll(progress.keySet());
    List<ProjectionStatus.PartitionStatus> list = new ArrayList<>();
    long total = 0;
    for (int p : partitions) {
      long committed = state.offsets().getOrDefault(p, 0L);
      Progress live = progress.get(p);
      long position = live == null ? -1 : live.position();
      long highWatermark = live == null ? -1 : live.highWatermark();
      long lag = live == null ? 0 : Math.max(0, highWatermark - position);
      total += lag;
      list.add(new ProjectionStatus.PartitionStatus(p, committed, position, highWatermark, lag));
    }
    return new ProjectionStatus(
        state.definition(),
        state.status(),
        state.reason(),
        state.generation(),
        list,
        total,
        created);
  }

  private Refused notFound() {
    return new Refused(
        SagaError.PROJECTION_NOT_FOUND.rejection("projection '" + name + "' does not exist"));
  }

  private Refused invalidState(State state, String action) {
    return new Refused(
        SagaError.INVALID_STATE.rejection(
            "cannot " + action + " projection '" + name + "' in state " + state.status()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Defined.class, (state, e) -> state.defined(e))
        .onEvent(RebuildStarted.class, (state, e) -> state.rebuildStarted(e))
        .onEvent(ViewCleared.class, (state, e) -> state.viewCleared(e))
        .onEvent(OffsetsCommitted.class, (state, e) -> state.committed(e))
        .onEvent(ProjectionFailed.class, (state, e) -> state.failed(e))
        .onEvent(Stopped.class, (state, e) -> state.stopped())
        .onEvent(Resumed.class, (state, e) -> state.resumed())
        .onEvent(Deleted.class, (state, e) -> state.deleted())
        .build();
  }
}
