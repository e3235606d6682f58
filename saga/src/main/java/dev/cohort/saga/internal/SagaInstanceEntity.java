package dev.cohort.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Traced;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.CohortSerializable;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import dev.cohort.saga.Attempt;
import dev.cohort.saga.RetryPolicy;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaException;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.SagaSummary;
import dev.cohort.saga.SagaUpdate;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.StepRecord;
import dev.cohort.saga.StepStatus;
import dev.cohort.sharding.EntityTypes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One saga instance, the only writer of its state: runs the steps' actions in order and, once one
 * fails for good (or the deadline passed), the completed steps' compensations in reverse order.
 *
 * <p>Invariants: an attempt is journaled ({@link AttemptStarted}) before its side effect starts,
 * and its outcome is journaled before the next attempt or step starts, so after a crash the
 * instance knows exactly which attempt may have run without a recorded outcome; it runs that
 * attempt again, with the same idempotency key. Side effects run outside the event handlers: the
 * {@link StepExecutor} completes a stage on another thread, which is piped back as {@link
 * AttemptDone}. At most one attempt runs per incarnation ({@code inFlight}). A step whose action
 * never completed is never compensated.
 *
 * <p>The entity makes progress by sending itself {@link Wake}: after each persisted outcome, when
 * a backoff or the deadline timer fires, after recovery, and from the node's waker (which finds
 * active instances through the index after a node restart).
 */
public final class SagaInstanceEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        SagaInstanceEntity.Command, SagaInstanceEntity.Event, SagaInstanceEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "saga-instance");

  /** What an instance needs from its node. */
  public record Deps(
      StepExecutor executor,
      SagaMetrics metrics,
      SagaEventsLog events,
      ActorRef<Topic.Command<SagaUpdate>> updates,
      ClusterSharding sharding,
      SagaSettings settings,
      Tracing tracing) {}

  // ---- Command ----

  public sealed interface Command extends CohortSerializable {}

  /**
   * Starts the instance with this definition (idempotent: an existing instance is answered).
   * {@code trace} is the starter's context: the instance's steps run as its child spans.
   */
  public record Start(
      SagaDefinition definition, String input, TraceContext trace, ActorRef<Reply> replyTo)
      implements Command, Traced {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** Resumes compensating from {@code COMPENSATION_FAILED}. */
  public record Retry(ActorRef<Reply> replyTo) implements Command {}

  /** Marks a {@code COMPENSATION_FAILED} instance resolved by hand. */
  public record Resolve(String reason, ActorRef<Reply> replyTo) implements Command {}

  /** Make progress if there is something to do (sent by the waker, timers and itself). */
  public enum Wake implements Command {
    INSTANCE
  }

  /**
   * Passivates the entity: it stops, and the next message recovers it from the journal. An
   * attempt that runs meanwhile is abandoned and runs again after recovery.
   */
  public enum Stop implements Command {
    INSTANCE
  }

  /**
   * The outcome of an attempt, piped back by the entity itself (package-private rather than
   * private so that {@link SagaRegistrations} can name it).
   */
  record AttemptDone(
      int step, StepPhase phase, int attempt, boolean succeeded, String output, String error,
      boolean retryable)
      implements Command {}

  // ---- Reply ----

  public sealed interface Reply extends CohortSerializable {}

  public record Answer(SagaInstance instance, boolean created) implements Reply {}

  public record Refused(Rejection rejection) implements Reply {}

  // ---- Event ----

  public sealed interface Event extends CohortSerializable {}

  /** {@code trace}: the starter's context, kept so that a resumed instance continues its trace. */
  public record Started(
      String id, SagaDefinition definition, String input, Instant at, TraceContext trace)
      implements Event {}

  public record AttemptStarted(int step, StepPhase phase, int attempt, Instant at)
      implements Event {}

  public record AttemptSucceeded(int step, StepPhase phase, int attempt, String output, Instant at)
      implements Event {}

  /** {@code nextAttemptAt} empty: the phase failed for good. */
  public record AttemptFailed(
      int step, StepPhase phase, int attempt, String error, boolean retryable,
      Optional<Instant> nextAttemptAt, Instant at)
      implements Event {
    public AttemptFailed {
      nextAttemptAt = nextAttemptAt == null ? Optional.empty() : nextAttemptAt;
    }
  }

  public record CompensationStarted(String reason, Instant at) implements Event {}

  public record Completed(Instant at) implements Event {}

  public record Compensated(Instant at) implements Event {}

  public record CompensationFailed(int step, String error, Instant at) implements Event {}

  public record RetryRequested(Instant at) implements Event {}

  public record Resolved(String reason, Instant at) implements Event {}

  // ---- State ----

  /**
   * The instance. {@code definition} is null until started. {@code budgetStep} and {@code
   * attemptBase}: after an operator's retry, the attempts of that step's compensation before it
   * no longer count against its retry budget.
   */
  public record State(
      String id,
      SagaDefinition definition,
      SagaState status,
      String input,
      String context,
      List<StepRecord> steps,
      int budgetStep,
      int attemptBase,
      Optional<Instant> wakeAt,
      Instant startedAt,
      Instant updatedAt,
      Optional<Instant> deadline,
      Optional<String> error,
      Optional<String> resolution,
      TraceContext trace)
      implements CohortSerializable {

    private static final Set<String> RESERVED = Set.of("sagaId", "input", "steps");

    public State {
      steps = steps == null ? List.of() : List.copyOf(steps);
      wakeAt = wakeAt == null ? Optional.empty() : wakeAt;
      deadline = deadline == null ? Optional.empty() : deadline;
      error = error == null ? Optional.empty() : error;
      resolution = resolution == null ? Optional.empty() : resolution;
    }

    static State empty(String id) {
      return new State(id, null, null, "{}", "{}", List.of(), -1, 0, Optional.empty(), null, null,
          Optional.empty(), Optional.empty(), Optional.empty(), null);
    }

    boolean started() {
      return definition != null;
    }

    /** The step whose action runs next (RUNNING), or {@code steps.size()} when all completed. */
    int nextAction() {
      for (int i = 0; i < steps.size(); i++) {
        if (steps.get(i).status() != StepStatus.SUCCEEDED) {
          return i;
        }
      }
      return steps.size();
    }

    /** The step to compensate next (the last completed one not yet compensated), or -1. */
    int nextCompensation() {
      for (int i = steps.size() - 1; i >= 0; i--) {
        StepStatus s = steps.get(i).status();
        boolean completed = s == StepStatus.SUCCEEDED || s == StepStatus.COMPENSATING
            || s == StepStatus.COMPENSATION_FAILED;
        if (completed && definition.steps().get(i).compensation().isPresent()) {
          return i;
        }
      }
      return -1;
    }

    /** Attempts of {@code phase} of step {@code i} that count against its retry budget. */
    int attemptsUsed(int i, StepPhase phase) {
      int all = steps.get(i).attempts(phase).size();
      return phase == StepPhase.COMPENSATION && i == budgetStep ? all - attemptBase : all;
    }

    SagaInstance view() {
      return new SagaInstance(id, definition.name(), definition.version(), status, input, context,
          steps, startedAt, updatedAt, deadline, error, resolution);
    }

    SagaSummary summary() {
      return new SagaSummary(id, definition.name(), definition.version(), status, updatedAt);
    }

    State start(Started e) {
      List<StepRecord> records = new ArrayList<>();
      for (SagaStep step : e.definition().steps()) {
        records.add(StepRecord.pending(step.name()));
      }
      ObjectNode ctx = JsonValues.MAPPER.createObjectNode();
      ctx.put("sagaId", e.id());
      ctx.set("input", JsonValues.objectTree(e.input(), "invalid_input", "input"));
      ctx.putObject("steps");
      Optional<Instant> due = e.definition().deadlineMs() > 0
          ? Optional.of(e.at().plusMillis(e.definition().deadlineMs())) : Optional.empty();
      return new State(e.id(), e.definition(), SagaState.RUNNING, e.input(), ctx.toString(),
          records, -1, 0, Optional.empty(), e.at(), e.at(), due, Optional.empty(),
          Optional.empty(), e.trace());
    }

    State attemptStarted(AttemptStarted e) {
      StepRecord step = steps.get(e.step())
          .withStatus(e.phase() == StepPhase.ACTION ? StepStatus.RUNNING : StepStatus.COMPENSATING)
          .withAttempt(new Attempt(e.phase(), e.attempt(), e.at(), Optional.empty(),
              Attempt.Outcome.RUNNING, Optional.empty(), false));
      return with(e.step(), step, Optional.empty(), e.at());
    }

    State attemptSucceeded(AttemptSucceeded e) {
      StepRecord step = steps.get(e.step());
      Attempt last = step.lastAttempt().orElseThrow()
          .finish(e.at(), Attempt.Outcome.SUCCEEDED, Optional.empty(), false);
      step = step.withLastAttempt(last).withError(Optional.empty());
      if (e.phase() == StepPhase.ACTION) {
        step = step.withStatus(StepStatus.SUCCEEDED).withOutput(Optional.of(e.output()));
        State next = with(e.step(), step, Optional.empty(), e.at());
        return next.withContext(merge(context, step.name(), e.output()));
      }
      return with(e.step(), step.withStatus(StepStatus.COMPENSATED), Optional.empty(), e.at());
    }

    State attemptFailed(AttemptFailed e) {
      StepRecord step = steps.get(e.step());
      Attempt last = step.lastAttempt().orElseThrow()
          .finish(e.at(), Attempt.Outcome.FAILED, Optional.of(e.error()), e.retryable());
      step = step.withLastAttempt(last).withError(Optional.of(e.error()));
      if (e.nextAttemptAt().isEmpty()) {
        step = step.withStatus(e.phase() == StepPhase.ACTION ? StepStatus.FAILED
            : StepStatus.COMPENSATION_FAILED);
      }
      return with(e.step(), step, e.nextAttemptAt(), e.at());
    }

    State compensationStarted(CompensationStarted e) {
      List<StepRecord> records = new ArrayList<>();
      for (StepRecord r : steps) {
        // an action still retrying never completed: it is not compensated
        records.add(r.status() == StepStatus.RUNNING ? r.withStatus(StepStatus.FAILED) : r);
      }
      return new State(id, definition, SagaState.COMPENSATING, input, context, records, budgetStep,
          attemptBase, Optional.empty(), startedAt, e.at(), deadline, Optional.of(e.reason()),
          resolution, trace);
    }

    State withStatus(SagaState next, Instant at, Optional<String> newError) {
      return new State(id, definition, next, input, context, steps, budgetStep, attemptBase,
          Optional.empty(), startedAt, at, deadline, newError, resolution, trace);
    }

    State retried(RetryRequested e) {
      int target = nextCompensation();
      List<StepRecord> records = new ArrayList<>(steps);
      int base = 0;
      if (target >= 0) {
        records.set(target, records.get(target).withStatus(StepStatus.COMPENSATING));
        base = steps.get(target).attempts(StepPhase.COMPENSATION).size();
      }
      return new State(id, definition, SagaState.COMPENSATING, input, context, records, target,
          base, Optional.empty(), startedAt, e.at(), deadline, error, resolution, trace);
    }

    State resolved(Resolved e) {
      return new State(id, definition, SagaState.RESOLVED, input, context, steps, budgetStep,
          attemptBase, Optional.empty(), startedAt, e.at(), deadline, error,
          Optional.of(e.reason()), trace);
    }

    private State with(int index, StepRecord step, Optional<Instant> wake, Instant at) {
      List<StepRecord> records = new ArrayList<>(steps);
      records.set(index, step);
      return new State(id, definition, status, input, context, records, budgetStep, attemptBase,
          wake, startedAt, at, deadline, error, resolution, trace);
    }

    private State withContext(String newContext) {
      return new State(id, definition, status, input, newContext, steps, budgetStep, attemptBase,
          wakeAt, startedAt, updatedAt, deadline, error, resolution, trace);
    }

    /**
     * The context with a step's output under {@code steps.<name>.output} and its top-level fields
     * merged in (except the reserved {@code sagaId}, {@code input}, {@code steps}).
     */
    static String merge(String context, String stepName, String output) {
      ObjectNode ctx = JsonValues.objectTree(context, "invalid_input", "context");
      ObjectNode out = JsonValues.objectTree(output, "invalid_input", "output");
      JsonNode steps = ctx.get("steps");
      ObjectNode stepsNode = steps instanceof ObjectNode o ? o : ctx.putObject("steps");
      stepsNode.putObject(stepName).set("output", out);
      Iterator<Map.Entry<String, JsonNode>> fields = out.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (!RESERVED.contains(field.getKey())) {
          ctx.set(field.getKey(), field.getValue().deepCopy());
        }
      }
      return ctx.toString();
    }
  }

  // ---- behaviour ----

  private final String id;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Deps deps;
  /** The attempt this incarnation runs ("step:phase:attempt"), or null. */
  private String inFlight;

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, Deps deps) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY,
        ctx -> deps.tracing().traced("saga", ctx.getEntityId(),
            create(ctx.getEntityId(), ctx.getShard(), deps))));
  }

  public static Behavior<Command> create(
      String id, ActorRef<ClusterSharding.ShardCommand> shard, Deps deps) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(
            timers -> new SagaInstanceEntity(id, context, timers, shard, deps)));
  }

  private SagaInstanceEntity(String id, ActorContext<Command> context,
      TimerScheduler<Command> timers, ActorRef<ClusterSharding.ShardCommand> shard, Deps deps) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), id),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.id = id;
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.deps = deps;
  }

  @Override
  public State emptyState() {
    return State.empty(id);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(Get.class, this::onGet)
        .onCommand(Retry.class, this::onRetry)
        .onCommand(Resolve.class, this::onResolve)
        .onCommand(Wake.class, (state, wake) -> onWake(state))
        .onCommand(AttemptDone.class, this::onAttemptDone)
        .onCommand(Stop.class, (state, stop) -> onStop())
        .build();
  }

  private ReplyEffect<Event, State> onStart(State state, Start start) {
    if (state.started()) {
      if (!state.definition().name().equals(start.definition().name())) {
        return Effect().reply(start.replyTo(), new Refused(Rejection.conflict("instance_exists",
            "saga instance '" + id + "' exists with definition '" + state.definition().name()
                + "', not '" + start.definition().name() + "'")));
      }
      return Effect().reply(start.replyTo(), new Answer(state.view(), false));
    }
    // validated at the edge already; again here, so that no path stores a broken instance
    try {
      start.definition().validate();
      JsonValues.objectTree(start.input(), "invalid_input", "input");
    } catch (SagaException e) {
      return Effect().reply(start.replyTo(), new Refused(e.toRejection()));
    }
    int bytes = start.input().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > deps.settings().maxContextBytes()) {
      return Effect().reply(start.replyTo(), new Refused(new Rejection(ErrorKind.TOO_LARGE,
          "context_too_large", "input is " + bytes + " bytes; at most "
              + deps.settings().maxContextBytes())));
    }
    Started started =
        new Started(id, start.definition(), start.input(), Instant.now(), start.trace());
    return Effect()
        .persist(started)
        .thenRun(next -> afterPersist(next, List.of(started)))
        .thenReply(start.replyTo(), next -> new Answer(next.view(), true));
  }

  private ReplyEffect<Event, State> onGet(State state, Get get) {
    if (!state.started()) {
      return Effect().reply(get.replyTo(), notFound());
    }
    return Effect().reply(get.replyTo(), new Answer(state.view(), false));
  }

  private ReplyEffect<Event, State> onRetry(State state, Retry retry) {
    if (!state.started()) {
      return Effect().reply(retry.replyTo(), notFound());
    }
    if (state.status() != SagaState.COMPENSATION_FAILED) {
      return Effect().reply(retry.replyTo(), invalidState(state, "retry"));
    }
    RetryRequested event = new RetryRequested(Instant.now());
    return Effect()
        .persist(event)
        .thenRun(next -> afterPersist(next, List.of(event)))
        .thenReply(retry.replyTo(), next -> new Answer(next.view(), false));
  }

  private ReplyEffect<Event, State> onResolve(State state, Resolve resolve) {
    if (!state.started()) {
      return Effect().reply(resolve.replyTo(), notFound());
    }
    if (resolve.reason() == null || resolve.reason().isBlank()) {
      return Effect().reply(resolve.replyTo(), new Refused(Rejection.invalid("invalid_input",
          "resolve needs a reason")));
    }
    if (state.status() != SagaState.COMPENSATION_FAILED) {
      return Effect().reply(resolve.replyTo(), invalidState(state, "resolve"));
    }
    Resolved event = new Resolved(resolve.reason(), Instant.now());
    return Effect()
        .persist(event)
        .thenRun(next -> afterPersist(next, List.of(event)))
        .thenReply(resolve.replyTo(), next -> new Answer(next.view(), false));
  }

  private ReplyEffect<Event, State> onStop() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    return Effect().noReply();
  }

  /** Decides the next thing to do; persists it (and starts its side effect) when there is one. */
  private ReplyEffect<Event, State> onWake(State state) {
    if (!state.started()) {
      // woken for an index placeholder whose start never happened: do not stay in memory
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
      return Effect().noReply();
    }
    if (!state.status().active() || inFlight != null) {
      return Effect().noReply();
    }
    Instant now = Instant.now();
    if (state.status() == SagaState.RUNNING) {
      if (state.nextAction() == state.steps().size()) {
        return persist(List.of(new Completed(now)));
      }
      // checked before any backoff wait: the deadline ends a retrying step at once
      if (state.deadline().isPresent() && !now.isBefore(state.deadline().get())) {
        return persist(List.of(new CompensationStarted(
            "saga deadline of " + state.definition().deadlineMs() + " ms exceeded", now)));
      }
    }
    if (state.wakeAt().isPresent() && state.wakeAt().get().isAfter(now)) {
      timers.startSingleTimer("wake", Wake.INSTANCE, Duration.between(now, state.wakeAt().get()));
      return Effect().noReply();
    }
    if (state.status() == SagaState.RUNNING) {
      return attempt(state, state.nextAction(), StepPhase.ACTION, now);
    }
    int next = state.nextCompensation();
    if (next < 0) {
      return persist(List.of(new Compensated(now)));
    }
    return attempt(state, next, StepPhase.COMPENSATION, now);
  }

  private ReplyEffect<Event, State> attempt(State state, int step, StepPhase phase, Instant now) {
    Optional<Attempt> last = state.steps().get(step).lastAttempt()
        .filter(a -> a.phase() == phase && a.outcome() == Attempt.Outcome.RUNNING);
    if (last.isPresent()) {
      // Journaled as started but no outcome: this incarnation recovered after a crash or a stop.
      // Run it again; the idempotency key is the same, so the participant can tell.
      context.getLog().info("saga {}: step {} {} attempt {} has no recorded outcome; running it "
          + "again", id, state.steps().get(step).name(), phase.label(), last.get().number());
      execute(state, step, phase, last.get().number());
      return Effect().noReply();
    }
    int number = state.steps().get(step).attempts(phase).size() + 1;
    AttemptStarted started = new AttemptStarted(step, phase, number, now);
    return Effect()
        .persist(started)
        .thenRun(next -> {
          afterPersist(next, List.of(started));
          execute(next, step, phase, number);
        })
        .thenNoReply();
  }

  /**
   * Runs an attempt in a span that is a child of the instance's trace (the one it was started in,
   * also after a crash): {@code saga <definition> <step> action|compensation}. The step's own work
   * (an HTTP call carrying traceparent, a kv write) continues the span.
   */
  private void execute(State state, int step, StepPhase phase, int number) {
    inFlight = step + ":" + phase + ":" + number;
    Span span =
        deps.tracing()
            .tracer()
            .spanBuilder("saga " + state.definition().name() + " "
                + state.steps().get(step).name() + " " + phase.label())
            .setParent(deps.tracing().contextOf(state.trace()))
            .setAttribute("saga.id", id)
            .setAttribute("saga.attempt", number)
            .startSpan();
    CompletionStage<StepExecutor.Result> attempt;
    try (TraceScope ignored = deps.tracing().enter(span)) {
      attempt = deps.executor().run(id, state.definition(), step, phase, number, state.context());
    }
    attempt.whenComplete(
        (result, failure) -> {
          if (failure != null || !result.succeeded()) {
            span.setStatus(StatusCode.ERROR, failure != null ? String.valueOf(failure) : result.error());
          }
          span.end();
        });
    context.pipeToSelf(
        attempt,
        (result, failure) -> failure == null
            ? new AttemptDone(step, phase, number, result.succeeded(), result.output(),
                result.error(), result.retryable())
            : new AttemptDone(step, phase, number, false, "", String.valueOf(failure), true));
  }

  private ReplyEffect<Event, State> onAttemptDone(State state, AttemptDone done) {
    if (!(done.step() + ":" + done.phase() + ":" + done.attempt()).equals(inFlight)) {
      return Effect().noReply(); // an attempt of an earlier incarnation or a stale duplicate
    }
    inFlight = null;
    Instant now = Instant.now();
    SagaStep step = state.definition().steps().get(done.step());
    if (done.succeeded()) {
      if (done.phase() == StepPhase.ACTION) {
        String merged = State.merge(state.context(), step.name(), done.output());
        int bytes = merged.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > deps.settings().maxContextBytes()) {
          return failed(state, done, "output of step '" + step.name() + "' makes the context "
              + bytes + " bytes; at most " + deps.settings().maxContextBytes(), false, now);
        }
      }
      return persist(List.of(new AttemptSucceeded(done.step(), done.phase(), done.attempt(),
          done.output(), now)));
    }
    return failed(state, done, done.error(), done.retryable(), now);
  }

  private ReplyEffect<Event, State> failed(
      State state, AttemptDone done, String error, boolean retryable, Instant now) {
    SagaStep step = state.definition().steps().get(done.step());
    RetryPolicy policy = step.retryFor(done.phase() == StepPhase.COMPENSATION);
    if (policy == null) {
      policy = deps.settings().defaultRetry(); // definitions stored by Sagas.define never lack one
    }
    int used = state.attemptsUsed(done.step(), done.phase());
    if (retryable && used < policy.maxAttempts()) {
      Instant nextAt = now.plus(policy.backoffBefore(used + 1));
      return persist(List.of(new AttemptFailed(done.step(), done.phase(), done.attempt(), error,
          true, Optional.of(nextAt), now)));
    }
    String why = "step '" + step.name() + "' " + done.phase().label() + " failed after " + used
        + (used == 1 ? " attempt: " : " attempts: ") + error;
    AttemptFailed last = new AttemptFailed(done.step(), done.phase(), done.attempt(), error,
        retryable, Optional.empty(), now);
    Event then = done.phase() == StepPhase.ACTION ? new CompensationStarted(why, now)
        : new CompensationFailed(done.step(), why, now);
    return persist(List.of(last, then));
  }

  /** Persists {@code events}, then publishes them and wakes itself for the next decision. */
  private ReplyEffect<Event, State> persist(List<Event> events) {
    return Effect()
        .persist(events)
        .thenRun(next -> {
          afterPersist(next, events);
          context.getSelf().tell(Wake.INSTANCE);
        })
        .thenNoReply();
  }

  /** Side effects of recorded events: metrics, updates, events topic, index. */
  private void afterPersist(State state, List<Event> events) {
    SagaDefinition d = state.definition();
    boolean statusChanged = false;
    for (Event event : events) {
      SagaUpdate update =
          switch (event) {
            case Started e -> {
              statusChanged = true;
              state.deadline().ifPresent(due -> timers.startSingleTimer("deadline", Wake.INSTANCE,
                  positive(Duration.between(Instant.now(), due))));
              context.getSelf().tell(Wake.INSTANCE);
              yield update(state, "started", null, 0, null, e.at());
            }
            case AttemptStarted e -> update(state, e.phase() == StepPhase.ACTION ? "step_started"
                : "compensation_step_started", e.step(), e.attempt(), null, e.at());
            case AttemptSucceeded e -> {
              boolean action = e.phase() == StepPhase.ACTION;
              observe(state, e.step(), action ? "succeeded" : "compensated");
              yield update(state, action ? "step_succeeded" : "compensation_succeeded", e.step(),
                  e.attempt(), null, e.at());
            }
            case AttemptFailed e -> {
              boolean action = e.phase() == StepPhase.ACTION;
              boolean again = e.nextAttemptAt().isPresent();
              observe(state, e.step(), (action ? "" : "compensation_")
                  + (again ? "retry" : "failed"));
              yield update(state, action ? (again ? "step_attempt_failed" : "step_failed")
                  : "compensation_attempt_failed", e.step(), e.attempt(), e.error(), e.at());
            }
            case CompensationStarted e -> {
              statusChanged = true;
              deps.metrics().compensationStarted(d.name());
              context.getLog().info("saga {}: compensating: {}", id, e.reason());
              yield update(state, "compensation_started", null, 0, e.reason(), e.at());
            }
            case Completed e -> {
              statusChanged = true;
              yield update(state, "completed", null, 0, null, e.at());
            }
            case Compensated e -> {
              statusChanged = true;
              yield update(state, "compensated", null, 0, null, e.at());
            }
            case CompensationFailed e -> {
              statusChanged = true;
              context.getLog().warn("saga {}: waits for an operator: {}", id, e.error());
              yield update(state, "compensation_failed", e.step(), 0, e.error(), e.at());
            }
            case RetryRequested e -> {
              statusChanged = true;
              context.getSelf().tell(Wake.INSTANCE);
              yield update(state, "retried", null, 0, null, e.at());
            }
            case Resolved e -> {
              statusChanged = true;
              yield update(state, "resolved", null, 0, e.reason(), e.at());
            }
          };
      deps.updates().tell(Topic.publish(update));
      if (!(event instanceof AttemptStarted)) {
        deps.events().publish(update);
      }
    }
    if (statusChanged) {
      report(state);
    }
  }

  private void observe(State state, int step, String outcome) {
    Attempt last = state.steps().get(step).lastAttempt().orElseThrow();
    double seconds = last.finishedAt()
        .map(f -> Duration.between(last.startedAt(), f).toNanos() / 1e9).orElse(0.0);
    deps.metrics().attempt(state.definition().name(), state.steps().get(step).name(), outcome,
        seconds);
  }

  private SagaUpdate update(State state, String event, Integer step, int attempt, String error,
      Instant at) {
    return new SagaUpdate(id, state.definition().name(), state.definition().version(), event,
        state.status(), step == null ? Optional.empty()
            : Optional.of(state.steps().get(step).name()), attempt, Optional.ofNullable(error),
        at);
  }

  /** Tells the node's gauges and the index where the instance is. */
  private void report(State state) {
    deps.metrics().instance(id, state.definition().name(), state.status());
    deps.sharding()
        .entityRefFor(SagaIndexEntity.ENTITY_TYPE_KEY,
            SagaIndexEntity.bucketOf(id, deps.settings().indexBuckets()))
        .tell(new SagaIndexEntity.Upsert(state.summary()));
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  private Refused notFound() {
    return new Refused(Rejection.notFound("instance_not_found",
        "saga instance '" + id + "' does not exist"));
  }

  private Refused invalidState(State state, String what) {
    return new Refused(Rejection.conflict("invalid_state", "cannot " + what + " saga instance '"
        + id + "' in state " + state.status() + "; only in COMPENSATION_FAILED"));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), state -> deps.metrics().stopped(id))
        .build();
  }

  private void onRecovered(State state) {
    if (!state.started()) {
      return;
    }
    report(state);
    if (state.status().active()) {
      state.deadline().ifPresent(due -> timers.startSingleTimer("deadline", Wake.INSTANCE,
          positive(Duration.between(Instant.now(), due))));
      context.getSelf().tell(Wake.INSTANCE);
    }
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Started.class, State::start)
        .onEvent(AttemptStarted.class, State::attemptStarted)
        .onEvent(AttemptSucceeded.class, State::attemptSucceeded)
        .onEvent(AttemptFailed.class, State::attemptFailed)
        .onEvent(CompensationStarted.class, State::compensationStarted)
        .onEvent(Completed.class, (s, e) -> s.withStatus(SagaState.COMPLETED, e.at(), s.error()))
        .onEvent(Compensated.class, (s, e) -> s.withStatus(SagaState.COMPENSATED, e.at(),
            s.error()))
        .onEvent(CompensationFailed.class, (s, e) -> s.withStatus(SagaState.COMPENSATION_FAILED,
            e.at(), Optional.of(e.error())))
        .onEvent(RetryRequested.class, State::retried)
        .onEvent(Resolved.class, State::resolved)
        .build();
  }
}
