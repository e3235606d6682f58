package dev.cohort.saga.internal;

import dev.cohort.observability.MessageTracing;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Traced;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.persistence.TracedCommands;
import dev.cohort.saga.Attempt;
import dev.cohort.saga.RetryPolicy;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.SagaUpdate;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.internal.InstanceState.Active;
import dev.cohort.saga.internal.InstanceState.AwaitingOperator;
import dev.cohort.saga.internal.InstanceState.Existing;
import dev.cohort.saga.internal.InstanceState.NotStarted;
import dev.cohort.sharding.EntityTypes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
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
 * This class holds the protocol and routes each command to the handler of the instance's stage
 * ({@link InstanceState}); the instance's data and its pure transitions live in {@link
 * InstanceData}, and what is announced after each journaled event in {@link InstanceReporter}.
 *
 * <p>Invariants: an attempt is journaled ({@link AttemptStarted}) before its side effect starts,
 * and its outcome is journaled before the next attempt or step starts, so after a crash the
 * instance knows exactly which attempt may have run without a recorded outcome; it runs that
 * attempt again, with the same idempotency key. Side effects run outside the event handlers: the
 * {@link StepExecutor} completes a stage on another thread, which is piped back as {@link
 * AttemptDone}. At most one attempt runs per incarnation ({@code inFlight}). A step whose action
 * never completed is never compensated.
 *
 * <p>The entity makes progress by sending itself {@link Wake}: after each persisted outcome, when a
 * backoff or the deadline timer fires, after recovery, and from the node's waker (which finds
 * active instances through the index after a node restart).
 */
public final class SagaInstanceEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        SagaInstanceEntity.Command, SagaInstanceEntity.Event, InstanceState> {

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

  /** Starts the instance with this definition (idempotent: an existing instance is answered). */
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
   * Passivates the entity: it stops, and the next message recovers it from the journal. An attempt
   * that runs meanwhile is abandoned and runs again after recovery.
   */
  public enum Stop implements Command {
    INSTANCE
  }

  /**
   * The outcome of an attempt, piped back by the entity itself (package-private rather than private
   * so that {@link SagaRegistrations} can name it).
   */
  record AttemptDone(
      int step,
      StepPhase phase,
      int attempt,
      boolean succeeded,
      String output,
      String error,
      boolean retryable)
      implements Command {}

  // ---- Reply ----

  public sealed interface Reply extends CohortSerializable {}

  public record Answer(SagaInstance instance, boolean created) implements Reply {}

  public record Refused(Rejection rejection) implements Reply, EntityReplies.Refusal {}

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
      int step,
      StepPhase phase,
      int attempt,
      String error,
      boolean retryable,
      Optional<Instant> nextAttemptAt,
      Instant at)
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

  // ---- State: InstanceState (the stages) over InstanceData ----

  // ---- behaviour ----

  private final String id;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Deps deps;
  private final InstanceReporter reporter;
  private final MessageTracing messages;

  /** The attempt this incarnation runs ("step:phase:attempt"), or null. */
  private String inFlight;

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, Deps deps) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard(), deps)));
  }

  /**
   * The entity, traced: its interceptor and its command handler share one {@link MessageTracing},
   * so commands Pekko stashed while it persisted run in their own spans too.
   */
  public static Behavior<Command> create(
      String id, ActorRef<ClusterSharding.ShardCommand> shard, Deps deps) {
    MessageTracing messages = deps.tracing().messageTracing("saga", id);
    return deps.tracing()
        .traced(
            messages,
            Behaviors.setup(
                context ->
                    Behaviors.withTimers(
                        timers ->
                            new SagaInstanceEntity(id, context, timers, shard, deps, messages))));
  }

  private SagaInstanceEntity(
      String id,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      Deps deps,
      MessageTracing messages) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), id), deps.settings().restartStrategy());
    this.messages = messages;
    this.id = id;
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.deps = deps;
    this.reporter = new InstanceReporter(id, deps, context.getLog());
  }

  @Override
  public InstanceState emptyState() {
    return new NotStarted(id);
  }

  /**
   * Handlers by stage: a stage lists the commands it acts on; what falls through is answered the
   * same way in every stage (a refusal naming the stage, or nothing for stray ticks).
   */
  @Override
  public CommandHandlerWithReply<Command, Event, InstanceState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(NotStarted.class)
        .onCommand(Start.class, this::onStart)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), notFound()))
        .onCommand(Retry.class, (state, retry) -> Effect().reply(retry.replyTo(), notFound()))
        .onCommand(Resolve.class, (state, resolve) -> Effect().reply(resolve.replyTo(), notFound()))
        // woken for an index placeholder whose start never happened: do not stay in memory
        .onCommand(Wake.class, (state, wake) -> onStop());
    builder
        .forStateType(Active.class)
        .onCommand(Wake.class, (state, wake) -> onWake(state.data()))
        .onCommand(AttemptDone.class, (state, done) -> onAttemptDone(state.data(), done));
    builder
        .forStateType(AwaitingOperator.class)
        .onCommand(Retry.class, this::onRetry)
        .onCommand(Resolve.class, this::onResolve);
    builder
        .forStateType(Existing.class)
        .onCommand(Start.class, this::onStartAgain)
        .onCommand(
            Get.class,
            (state, get) -> Effect().reply(get.replyTo(), new Answer(state.data().view(), false)))
        .onCommand(
            Retry.class,
            (state, retry) -> Effect().reply(retry.replyTo(), invalidState(state.data(), "retry")))
        .onCommand(
            Resolve.class,
            (state, resolve) ->
                Effect()
                    .reply(
                        resolve.replyTo(),
                        blank(resolve.reason())
                            ? noReason()
                            : invalidState(state.data(), "resolve")));
    builder
        .forAnyState()
        .onCommand(Stop.class, (state, stop) -> onStop())
        // a stray tick, or an attempt of an earlier incarnation: nothing to do in this stage
        .onAnyCommand((state, stray) -> Effect().noReply());
    return TracedCommands.of(messages, builder.build());
  }

  private ReplyEffect<Event, InstanceState> onStart(NotStarted state, Start start) {
    // validated at the edge already; again here, so that no path stores a broken instance
    try {
      start.definition().validate();
      JsonValues.objectTree(start.input(), SagaError.INVALID_INPUT, "input");
    } catch (SagaException e) {
      return Effect().reply(start.replyTo(), new Refused(e.toRejection()));
    }
    int bytes = start.input().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > deps.settings().maxContextBytes()) {
      return Effect()
          .reply(
              start.replyTo(),
              new Refused(
                  SagaError.CONTEXT_TOO_LARGE.rejection(
                      "input is "
                          + bytes
                          + " bytes; at most "
                          + deps.settings().maxContextBytes())));
    }
    Started started =
        new Started(id, start.definition(), start.input(), Instant.now(), start.trace());
    return Effect()
        .persist(started)
        .thenRun(next -> afterPersist(next, List.of(started)))
        .thenReply(start.replyTo(), next -> new Answer(data(next).view(), true));
  }

  /**
   * A start of an existing instance is answered with it (idempotent) unless it names another
   * definition.
   */
  private ReplyEffect<Event, InstanceState> onStartAgain(Existing state, Start start) {
    InstanceData data = state.data();
    if (!data.definition().name().equals(start.definition().name())) {
      return Effect()
          .reply(
              start.replyTo(),
              new Refused(
                  SagaError.INSTANCE_EXISTS.rejection(
                      "saga instance '"
                          + id
                          + "' exists with definition '"
                          + data.definition().name()
                          + "', not '"
                          + start.definition().name()
                          + "'")));
    }
    return Effect().reply(start.replyTo(), new Answer(data.view(), false));
  }

  private ReplyEffect<Event, InstanceState> onRetry(AwaitingOperator state, Retry retry) {
    RetryRequested event = new RetryRequested(Instant.now());
    return Effect()
        .persist(event)
        .thenRun(next -> afterPersist(next, List.of(event)))
        .thenReply(retry.replyTo(), next -> new Answer(data(next).view(), false));
  }

  private ReplyEffect<Event, InstanceState> onResolve(AwaitingOperator state, Resolve resolve) {
    if (blank(resolve.reason())) {
      return Effect().reply(resolve.replyTo(), noReason());
    }
    Resolved event = new Resolved(resolve.reason(), Instant.now());
    return Effect()
        .persist(event)
        .thenRun(next -> afterPersist(next, List.of(event)))
        .thenReply(resolve.replyTo(), next -> new Answer(data(next).view(), false));
  }

  private ReplyEffect<Event, InstanceState> onStop() {
    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    return Effect().noReply();
  }

  /** Decides the next thing to do; persists it (and starts its side effect) when there is one. */
  private ReplyEffect<Event, InstanceState> onWake(InstanceData state) {
    if (inFlight != null) {
      return Effect().noReply();
    }
    Instant now = Instant.now();
    if (state.status() == SagaState.RUNNING) {
      if (state.nextAction() == state.steps().size()) {
        return persist(List.of(new Completed(now)));
      }
      // checked before any backoff wait: the deadline ends a retrying step at once
      if (state.deadline().isPresent() && !now.isBefore(state.deadline().get())) {
        return persist(
            List.of(
                new CompensationStarted(
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

  private ReplyEffect<Event, InstanceState> attempt(
      InstanceData state, int step, StepPhase phase, Instant now) {
    Optional<Attempt> last =
        state
            .steps()
            .get(step)
            .lastAttempt()
            .filter(a -> a.phase() == phase && a.outcome() == Attempt.Outcome.RUNNING);
    if (last.isPresent()) {
      // Journaled as started but no outcome: this incarnation recovered after a crash or a stop.
      // Run it again; the idempotency key is the same, so the participant can tell.
      context
          .getLog()
          .info(
              "saga {}: step {} {} attempt {} has no recorded outcome; running it " + "again",
              id,
              state.steps().get(step).name(),
              phase.label(),
              last.get().number());
      execute(state, step, phase, last.get().number());
      return Effect().noReply();
    }
    int number = state.steps().get(step).attempts(phase).size() + 1;
    AttemptStarted started = new AttemptStarted(step, phase, number, now);
    return Effect()
        .persist(started)
        .thenRun(
            next -> {
              afterPersist(next, List.of(started));
              execute(data(next), step, phase, number);
            })
        .thenNoReply();
  }

  /**
   * Runs an attempt in a span that is a child of the instance's trace (the one it was started in,
   * also after a crash): {@code saga <definition> <step> action|compensation}. The step's own work
   * (an HTTP call carrying traceparent, a kv write) continues the span.
   */
  private void execute(InstanceData state, int step, StepPhase phase, int number) {
    inFlight = step + ":" + phase + ":" + number;
    Span span =
        deps.tracing()
            .tracer()
            .spanBuilder(
                "saga "
                    + state.definition().name()
                    + " "
                    + state.steps().get(step).name()
                    + " "
                    + phase.label())
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
            span.setStatus(
                StatusCode.ERROR, failure != null ? String.valueOf(failure) : result.error());
          }
          span.end();
        });
    context.pipeToSelf(
        attempt,
        (result, failure) ->
            failure == null
                ? new AttemptDone(
                    step,
                    phase,
                    number,
                    result.succeeded(),
                    result.output(),
                    result.error(),
                    result.retryable())
                : new AttemptDone(step, phase, number, false, "", String.valueOf(failure), true));
  }

  private ReplyEffect<Event, InstanceState> onAttemptDone(InstanceData state, AttemptDone done) {
    if (!(done.step() + ":" + done.phase() + ":" + done.attempt()).equals(inFlight)) {
      return Effect().noReply(); // an attempt of an earlier incarnation or a stale duplicate
    }
    inFlight = null;
    Instant now = Instant.now();
    SagaStep step = state.definition().steps().get(done.step());
    if (done.succeeded()) {
      if (done.phase() == StepPhase.ACTION) {
        String merged = InstanceData.merge(state.context(), step.name(), done.output());
        int bytes = merged.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > deps.settings().maxContextBytes()) {
          return failed(
              state,
              done,
              "output of step '"
                  + step.name()
                  + "' makes the context "
                  + bytes
                  + " bytes; at most "
                  + deps.settings().maxContextBytes(),
              false,
              now);
        }
      }
      return persist(
          List.of(
              new AttemptSucceeded(done.step(), done.phase(), done.attempt(), done.output(), now)));
    }
    return failed(state, done, done.error(), done.retryable(), now);
  }

  private ReplyEffect<Event, InstanceState> failed(
      InstanceData state, AttemptDone done, String error, boolean retryable, Instant now) {
    SagaStep step = state.definition().steps().get(done.step());
    RetryPolicy policy = step.retryFor(done.phase() == StepPhase.COMPENSATION);
    if (policy == null) {
      policy = deps.settings().defaultRetry(); // definitions stored by Sagas.define never lack one
    }
    int used = state.attemptsUsed(done.step(), done.phase());
    if (retryable && used < policy.maxAttempts()) {
      Instant nextAt = now.plus(policy.backoffBefore(used + 1));
      return persist(
          List.of(
              new AttemptFailed(
                  done.step(),
                  done.phase(),
                  done.attempt(),
                  error,
                  true,
                  Optional.of(nextAt),
                  now)));
    }
    String why =
        "step '"
            + step.name()
            + "' "
            + done.phase().label()
            + " failed after "
            + used
            + (used == 1 ? " attempt: " : " attempts: ")
            + error;
    AttemptFailed last =
        new AttemptFailed(
            done.step(), done.phase(), done.attempt(), error, retryable, Optional.empty(), now);
    Event then =
        done.phase() == StepPhase.ACTION
            ? new CompensationStarted(why, now)
            : new CompensationFailed(done.step(), why, now);
    return persist(List.of(last, then));
  }

  /** Persists {@code events}, then publishes them and wakes itself for the next decision. */
  private ReplyEffect<Event, InstanceState> persist(List<Event> events) {
    return Effect()
        .persist(events)
        .thenRun(
            next -> {
              afterPersist(next, events);
              context.getSelf().tell(Wake.INSTANCE);
            })
        .thenNoReply();
  }

  /** Side effects of recorded events: what the reporter announces, and the timers they start. */
  private void afterPersist(InstanceState state, List<Event> events) {
    InstanceData data = data(state);
    reporter.recorded(data, events);
    for (Event event : events) {
      if (event instanceof Started) {
        armDeadline(data);
        context.getSelf().tell(Wake.INSTANCE);
      } else if (event instanceof RetryRequested) {
        context.getSelf().tell(Wake.INSTANCE);
      }
    }
  }

  private void armDeadline(InstanceData data) {
    data.deadline()
        .ifPresent(
            due ->
                timers.startSingleTimer(
                    "deadline", Wake.INSTANCE, positive(Duration.between(Instant.now(), due))));
  }

  private static Duration positive(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** The data of a stage reached by persisting an event: every such stage exists. */
  private static InstanceData data(InstanceState state) {
    return ((Existing) state).data();
  }

  private static boolean blank(String reason) {
    return reason == null || reason.isBlank();
  }

  private Refused notFound() {
    return new Refused(
        SagaError.INSTANCE_NOT_FOUND.rejection("saga instance '" + id + "' does not exist"));
  }

  private static Refused noReason() {
    return new Refused(SagaError.INVALID_INPUT.rejection("resolve needs a reason"));
  }

  private Refused invalidState(InstanceData state, String what) {
    return new Refused(
        SagaError.INVALID_STATE.rejection(
            "cannot "
                + what
                + " saga instance '"
                + id
                + "' in state "
                + state.status()
                + "; only in COMPENSATION_FAILED"));
  }

  @Override
  public SignalHandler<InstanceState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), state -> reporter.stopped())
        .build();
  }

  private void onRecovered(InstanceState state) {
    if (state instanceof Existing existing) {
      reporter.report(existing.data());
    }
    if (state instanceof Active active) {
      armDeadline(active.data());
      context.getSelf().tell(Wake.INSTANCE);
    }
  }

  /**
   * Events are applied by one pure function: no metrics or messages here, since replay runs it too.
   */
  @Override
  public EventHandler<InstanceState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(InstanceState::apply);
  }
}
