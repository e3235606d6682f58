package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.sharding.EntityTypes;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus.LossPoint;
import dev.cohort.training.JobStatus;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.RingRendezvous;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The coordinator of one training job: a sharded, event-sourced entity that owns the job's
 * lifecycle and its rendezvous. Phase 2 scope so far: job submission, worker rendezvous into
 * numbered generations of a ring, loss of a worker (abort the generation, gather the survivors
 * again), progress, completion and cancellation. Worker actors, checkpoints and the nccl
 * rendezvous come next.
 *
 * <p>A growing job: a worker that joins while a generation runs waits; the coordinator does not
 * yet end a healthy generation to let it in (that needs a checkpoint to restart from, phase 2),
 * so it joins at the next rendezvous, after a loss.
 *
 * <p>States: {@code PENDING} (no job yet) → {@code RENDEZVOUS} (gathering workers) → {@code
 * RUNNING} (a generation is training) → {@code COMPLETED | FAILED | CANCELLED}; a lost worker
 * takes {@code RUNNING} back to {@code RENDEZVOUS} with the next generation number.
 *
 * <p>Rendezvous: a worker binds a ring endpoint and sends {@link Join} with its address. The
 * generation forms as soon as {@code workers.max} joined, or {@code coordinator.rendezvous-wait}
 * after {@code workers.min} joined. Ranks follow join order. Every member then receives an {@link
 * Assignment} carrying a {@link RingRendezvous} whose token is unique to (job, generation), so a
 * worker of an older generation cannot connect into a newer ring. After an abort every survivor
 * must join again with a fresh endpoint: its old connections are gone with the old ring.
 *
 * <p>Invariants: one generation runs at a time; a generation's member list never changes (a loss
 * ends the generation); every member of a generation got the same peer list.
 */
public final class TrainingCoordinator
    extends EventSourcedBehaviorWithEnforcedReplies<
        TrainingCoordinator.Command, TrainingCoordinator.Event, TrainingCoordinator.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "TrainingJob");
  private static final String RENDEZVOUS_TIMER = "rendezvous";
  private static final String RECRUIT_TIMER = "recruit";

  // Command ------------------------------------------------------------------------------------

  public sealed interface Command extends CohortSerializable {}

  /** Creates the job; repeating the same spec is answered again (idempotent submit). */
  public record Submit(TrainingJobSpec spec, ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  /**
   * A worker offers itself for the next generation, listening on {@code ringAddress}; {@code
   * replicaStep} is the global step of the model replica it holds (-1 for none), so that the
   * most advanced replica becomes rank 0, the one every other rank copies.
   */
  public record Join(String workerId, String ringAddress, long replicaStep, ActorRef<WorkerMessage> worker,
      ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  /** A worker died or left (its actor stopped, its node went down); ends its generation. */
  public record WorkerLost(String workerId, String reason) implements Command {}

  /**
   * A member's communicator failed in {@code generation} (a peer vanished, a collective timed
   * out); ends that generation only, so a late report cannot end a newer one.
   */
  public record GenerationFailed(long generation, String workerId, String reason) implements Command {}

  /** Rank 0's progress report after a step of {@code generation}. */
  public record ReportProgress(long generation, int epoch, long step, double loss, double samplesPerSecond)
      implements Command {}

  /** Rank 0 reports that {@code generation} finished every epoch. */
  public record Finish(long generation) implements Command {}

  /** A worker hit an error no new generation can fix (malformed dataset, backend unavailable). */
  public record Fail(long generation, String reason) implements Command {}

  /** Cancels the job (DELETE); members are told to stop. */
  public record Cancel(ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  /** The rendezvous wait after workers.min joined has passed (timer). */
  // Package-private, not private, only so that TrainingRegistrations can give it a Kryo id.
  record RendezvousDeadline(long generation) implements Command {}

  /** Time to ask the worker pools again (periodic timer while gathering). Package-private as above. */
  enum RecruitTick implements Command { INSTANCE }

  // Messages to workers -------------------------------------------------------------------------

  public sealed interface WorkerMessage extends CohortSerializable {}

  /** You are {@code rendezvous.rank()} of {@code generation}: form the ring and train. */
  public record Assignment(String jobId, long generation, TrainingJobSpec spec, RingRendezvous rendezvous)
      implements WorkerMessage {}

  /** Stop {@code generation}: abort its communicator; join again unless the job ended. */
  public record Abort(String jobId, long generation, String reason, boolean jobEnded) implements WorkerMessage {}

  // Reply: dev.cohort.training.JobStatus (public, the gateway and the embedded API show it).

  // Event --------------------------------------------------------------------------------------

  public sealed interface Event extends CohortSerializable {}

  public record JobSubmitted(TrainingJobSpec spec) implements Event {}

  public record WorkerJoined(String workerId, String ringAddress, long replicaStep, ActorRef<WorkerMessage> worker)
      implements Event {}

  public record GenerationFormed(long generation, long token) implements Event {}

  public record GenerationAborted(long generation, String workerId, String reason) implements Event {}

  public record ProgressReported(int epoch, long step, double loss, double samplesPerSecond) implements Event {}

  public record JobCompleted(long generation) implements Event {}

  public record JobCancelled() implements Event {}

  public record JobFailed(String reason) implements Event {}

  public record WorkerLeft(String workerId) implements Event {}

  // State --------------------------------------------------------------------------------------

  public record Member(String workerId, String ringAddress, long replicaStep, ActorRef<WorkerMessage> worker)
      implements CohortSerializable {}

  /**
   * @param joined workers gathered for the next generation (RENDEZVOUS) or its members (RUNNING)
   * @param waiting workers that joined while a generation ran; they are told to join again at
   *     the next rendezvous
   */
  public record State(JobPhase phase, Optional<TrainingJobSpec> spec, long generation, long token,
      List<Member> joined, List<Member> waiting, int epoch, long step, List<LossPoint> losses,
      double samplesPerSecond, int recoveries, Optional<String> reason) implements CohortSerializable {

    static State empty() {
      return new State(JobPhase.PENDING, Optional.empty(), 0, 0, List.of(), List.of(), 0, 0, List.of(), 0, 0, Optional.empty());
    }

    boolean ended() {
      return phase.ended();
    }

    boolean isMember(String workerId) {
      return joined.stream().anyMatch(m -> m.workerId().equals(workerId));
    }

    State submitted(TrainingJobSpec s) {
      return new State(JobPhase.RENDEZVOUS, Optional.of(s), generation, token, List.of(), List.of(), 0, 0, List.of(), 0, 0, Optional.empty());
    }

    State withJoined(Member m) {
      List<Member> next = new ArrayList<>(phase == JobPhase.RUNNING ? waiting : joined);
      next.removeIf(x -> x.workerId().equals(m.workerId())); // a re-join replaces the old address
      next.add(m);
      return phase == JobPhase.RUNNING
          ? new State(phase, spec, generation, token, joined, List.copyOf(next), epoch, step, losses, samplesPerSecond, recoveries, reason)
          : new State(phase, spec, generation, token, List.copyOf(next), waiting, epoch, step, losses, samplesPerSecond, recoveries, reason);
    }

    State without(String workerId) {
      List<Member> j = joined.stream().filter(m -> !m.workerId().equals(workerId)).toList();
      List<Member> w = waiting.stream().filter(m -> !m.workerId().equals(workerId)).toList();
      return new State(phase, spec, generation, token, j, w, epoch, step, losses, samplesPerSecond, recoveries, reason);
    }

    State formed(GenerationFormed e) {
      // Rank order: most advanced replica first (rank 0 is copied by all), then join order.
      List<Member> ranked = joined.stream()
          .sorted(java.util.Comparator.comparingLong(Member::replicaStep).reversed())
          .toList();
      return new State(JobPhase.RUNNING, spec, e.generation(), e.token(), ranked, waiting, epoch, step, losses, samplesPerSecond,
          recoveries, reason);
    }

    State aborted(GenerationAborted e) {
      // Everyone gathers again with fresh endpoints: the old ring is gone.
      return new State(JobPhase.RENDEZVOUS, spec, generation, token, List.of(), List.of(), epoch, step, losses, 0, recoveries + 1,
          Optional.of(e.reason()));
    }

    State progressed(ProgressReported e, int maxPoints) {
      List<LossPoint> next = new ArrayList<>(losses);
      next.add(new LossPoint(e.step(), e.loss()));
      if (next.size() > maxPoints) {
        next = next.subList(next.size() - maxPoints, next.size());
      }
      return new State(phase, spec, generation, token, joined, waiting, e.epoch(), e.step(), List.copyOf(next), e.samplesPerSecond(),
          recoveries, reason);
    }

    State ended(JobPhase end, Optional<String> why) {
      return new State(end, spec, generation, token, joined, waiting, epoch, step, losses, 0, recoveries, why);
    }

    JobStatus status(String jobId) {
      return new JobStatus(jobId, phase, spec, generation, joined.stream().map(Member::workerId).toList(),
          waiting.stream().map(Member::workerId).toList(), epoch, step, losses, samplesPerSecond, recoveries, reason);
    }
  }

  // Wiring -------------------------------------------------------------------------------------

  private final String jobId;
  private final TrainingSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorContext<Command> context;
  private final TrainingMetrics metrics;
  private final ActorRef<Recruiter.Msg> recruiter;

  public static void init(ActorSystem<?> system, TrainingSettings settings) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY, context -> create(context.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String jobId, TrainingSettings settings) {
    return Behaviors.setup(context ->
        Behaviors.withTimers(timers -> new TrainingCoordinator(jobId, settings, timers, context)));
  }

  private TrainingCoordinator(
      String jobId, TrainingSettings settings, TimerScheduler<Command> timers, ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), jobId));
    this.jobId = jobId;
    this.settings = settings;
    this.timers = timers;
    this.context = context;
    this.metrics = TrainingMetrics.get(context.getSystem());
    this.recruiter = context.spawn(Recruiter.create(jobId, context.getSelf()), "recruiter");
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    // Timers do not survive a restart: re-arm the rendezvous wait if it was running.
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> metrics.forget(jobId))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Join.class, this::onJoin)
        .onCommand(WorkerLost.class, this::onWorkerLost)
        .onCommand(GenerationFailed.class, this::onGenerationFailed)
        .onCommand(ReportProgress.class, this::onProgress)
        .onCommand(Finish.class, this::onFinish)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Fail.class, this::onFail)
        .onCommand(RendezvousDeadline.class, this::onDeadline)
        .onCommand(RecruitTick.class, this::onRecruitTick)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), StatusReply.success(state.status(jobId))))
        .build();
  }

  private ReplyEffect<Event, State> onSubmit(State state, Submit cmd) {
    if (state.phase() == JobPhase.PENDING) {
      return Effect().persist(new JobSubmitted(cmd.spec()))
          .thenRun(next -> recruiter.tell(new Recruiter.Need(cmd.spec().maxWorkers())))
          .thenRun(next -> armRecruitTimer())
          .thenReply(cmd.replyTo(), next -> StatusReply.success(next.status(jobId)));
    }
    if (state.spec().equals(Optional.of(cmd.spec()))) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state.status(jobId)));
    }
    return Effect().reply(cmd.replyTo(), StatusReply.error("job '" + jobId + "' already exists with another spec"));
  }

  private ReplyEffect<Event, State> onJoin(State state, Join cmd) {
    if (state.phase() == JobPhase.PENDING) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("job '" + jobId + "' does not exist"));
    }
    if (state.ended()) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("job '" + jobId + "' is " + state.phase()));
    }
    TrainingJobSpec spec = state.spec().orElseThrow();
    Member member = new Member(cmd.workerId(), cmd.ringAddress(), cmd.replicaStep(), cmd.worker());
    if (state.phase() == JobPhase.RUNNING) {
      // Elastic growth: take part from the next generation on (never more than workers.max).
      if (state.joined().size() + state.waiting().size() >= spec.maxWorkers()) {
        return Effect().reply(cmd.replyTo(),
            StatusReply.error("job '" + jobId + "' already has workers.max = " + spec.maxWorkers() + " workers"));
      }
      return Effect().persist(joined(member))
          .thenRun(next -> watch(member))
          .thenReply(cmd.replyTo(), next -> StatusReply.success(next.status(jobId)));
    }
    boolean known = state.isMember(cmd.workerId());
    int count = state.joined().size() + (known ? 0 : 1);
    if (count > spec.maxWorkers()) {
      return Effect().reply(cmd.replyTo(),
          StatusReply.error("job '" + jobId + "' already has workers.max = " + spec.maxWorkers() + " workers"));
    }
    List<Event> events = new ArrayList<>();
    events.add(joined(member));
    if (count == spec.maxWorkers()) {
      events.add(formed(state));
    }
    return Effect().persist(events)
        .thenRun(next -> watch(member))
        .thenRun(this::afterRendezvousChange)
        .thenReply(cmd.replyTo(), next -> StatusReply.success(next.status(jobId)));
  }

  private static WorkerJoined joined(Member m) {
    return new WorkerJoined(m.workerId(), m.ringAddress(), m.replicaStep(), m.worker());
  }

  /**
   * Death watch: a worker whose actor stops (or whose node the cluster downs) becomes a {@link
   * WorkerLost}. The message is a pure function of the worker id, so watching again on a re-join
   * is allowed (Pekko refuses a second watch with a different message).
   */
  private void watch(Member m) {
    context.watchWith(m.worker(), new WorkerLost(m.workerId(), "worker actor stopped"));
  }

  private void onRecovered(State state) {
    publish(state);
    if (state.phase() == JobPhase.RENDEZVOUS) {
      // After a restart of the coordinator: gather again what the job misses.
      recruiter.tell(new Recruiter.Need(state.spec().orElseThrow().maxWorkers() - state.joined().size()));
      armRecruitTimer();
    }
    if (!state.ended()) {
      state.joined().forEach(this::watch);
      state.waiting().forEach(this::watch);
    }
    armRendezvousTimer(state);
  }

  private GenerationFormed formed(State state) {
    long generation = state.generation() + 1;
    // Unique per (job, generation): a stale worker's handshake carries an older token.
    long token = jobId.hashCode() * 0x9E3779B97F4A7C15L + generation;
    return new GenerationFormed(generation, token);
  }

  private ReplyEffect<Event, State> onDeadline(State state, RendezvousDeadline cmd) {
    if (state.phase() != JobPhase.RENDEZVOUS || cmd.generation() != state.generation()
        || state.joined().size() < state.spec().orElseThrow().minWorkers()) {
      return Effect().noReply();
    }
    return Effect().persist(formed(state)).thenRun(this::afterRendezvousChange).thenNoReply();
  }

  /** After a join or a formed generation: send assignments, or arm the wait for more workers. */
  private void afterRendezvousChange(State state) {
    if (state.phase() == JobPhase.RUNNING) {
      timers.cancel(RENDEZVOUS_TIMER);
      List<String> peers = state.joined().stream().map(Member::ringAddress).toList();
      for (int rank = 0; rank < state.joined().size(); rank++) {
        Member m = state.joined().get(rank);
        m.worker().tell(new Assignment(jobId, state.generation(), state.spec().orElseThrow(),
            new RingRendezvous(state.token(), rank, peers)));
      }
    } else {
      armRendezvousTimer(state);
    }
  }

  private ReplyEffect<Event, State> onRecruitTick(State state, RecruitTick tick) {
    if (state.phase() != JobPhase.RENDEZVOUS) {
      timers.cancel(RECRUIT_TIMER);
      return Effect().noReply();
    }
    int missing = state.spec().orElseThrow().maxWorkers() - state.joined().size();
    return Effect().none().thenRun(s -> recruiter.tell(new Recruiter.Need(missing))).thenNoReply();
  }

  private void armRecruitTimer() {
    timers.startTimerWithFixedDelay(RECRUIT_TIMER, RecruitTick.INSTANCE, settings.recruitInterval());
  }

  private void armRendezvousTimer(State state) {
    if (state.phase() == JobPhase.RENDEZVOUS && state.spec().isPresent()
        && state.joined().size() >= state.spec().get().minWorkers() && !timers.isTimerActive(RENDEZVOUS_TIMER)) {
      Duration wait = settings.rendezvousWait();
      timers.startSingleTimer(RENDEZVOUS_TIMER, new RendezvousDeadline(state.generation()), wait);
    }
  }

  private ReplyEffect<Event, State> onWorkerLost(State state, WorkerLost cmd) {
    if (state.phase() == JobPhase.RUNNING && state.isMember(cmd.workerId())) {
      return Effect().persist(new GenerationAborted(state.generation(), cmd.workerId(), cmd.reason()))
          .thenRun(next -> metrics.recovered(jobId))
          .thenRun(next -> recruiter.tell(new Recruiter.Need(1))) // a replacement, if a slot is free
          .thenRun(next -> armRecruitTimer())
          .thenRun(next -> tellAll(state.without(cmd.workerId()), new Abort(jobId, state.generation(),
              "worker " + cmd.workerId() + " lost: " + cmd.reason(), false)))
          .thenNoReply();
    }
    boolean gathered = state.isMember(cmd.workerId())
        || state.waiting().stream().anyMatch(m -> m.workerId().equals(cmd.workerId()));
    if (!state.ended() && gathered) {
      // Gathered but not yet in a ring: drop it so that no generation forms with a dead address.
      return Effect().persist(new WorkerLeft(cmd.workerId())).thenNoReply();
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onGenerationFailed(State state, GenerationFailed cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply(); // already aborted, or a report about an older generation
    }
    return Effect().persist(new GenerationAborted(state.generation(), cmd.workerId(), cmd.reason()))
        .thenRun(next -> metrics.recovered(jobId))
        .thenRun(next -> armRecruitTimer())
        .thenRun(next -> tellAll(state, new Abort(jobId, state.generation(),
            "worker " + cmd.workerId() + " reported: " + cmd.reason(), false)))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onFail(State state, Fail cmd) {
    if (state.ended() || state.phase() == JobPhase.PENDING || cmd.generation() != state.generation()) {
      return Effect().noReply();
    }
    return Effect().persist(new JobFailed(cmd.reason()))
        .thenRun(next -> {
          timers.cancel(RENDEZVOUS_TIMER);
          tellAll(state, new Abort(jobId, state.generation(), "job failed: " + cmd.reason(), true));
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onProgress(State state, ReportProgress cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply(); // a report from an aborted generation
    }
    return Effect().persist(new ProgressReported(cmd.epoch(), cmd.step(), cmd.loss(), cmd.samplesPerSecond())).thenNoReply();
  }

  private ReplyEffect<Event, State> onFinish(State state, Finish cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply();
    }
    // Members wait for this before they stop: a member stopping first would look like a loss.
    return Effect().persist(new JobCompleted(cmd.generation()))
        .thenRun(next -> tellAll(state, new Abort(jobId, state.generation(), "job completed", true)))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onCancel(State state, Cancel cmd) {
    if (state.phase() == JobPhase.PENDING) {
      return Effect().reply(cmd.replyTo(), StatusReply.error("job '" + jobId + "' does not exist"));
    }
    if (state.ended()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(state.status(jobId)));
    }
    return Effect().persist(new JobCancelled())
        .thenRun(next -> {
          timers.cancel(RENDEZVOUS_TIMER);
          tellAll(state, new Abort(jobId, state.generation(), "job cancelled", true));
        })
        .thenReply(cmd.replyTo(), next -> StatusReply.success(next.status(jobId)));
  }

  private static void tellAll(State state, WorkerMessage message) {
    state.joined().forEach(m -> m.worker().tell(message));
    state.waiting().forEach(m -> m.worker().tell(message));
  }

  /** Mirrors the state into this node's gauges (idempotent, so replaying events is harmless). */
  private State publish(State state) {
    metrics.job(jobId, state.phase(), state.phase() == JobPhase.RUNNING ? state.joined().size() : 0);
    return state;
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(this::applyAndPublish);
  }

  private State applyAndPublish(State state, Event event) {
    return publish(apply(state, event));
  }

  private State apply(State state, Event event) {
    return switch (event) {
      case JobSubmitted e -> state.submitted(e.spec());
      case WorkerJoined e -> state.withJoined(new Member(e.workerId(), e.ringAddress(), e.replicaStep(), e.worker()));
      case GenerationFormed e -> state.formed(e);
      case GenerationAborted e -> state.aborted(e);
      case ProgressReported e -> state.progressed(e, settings.maxLossPoints());
      case JobCompleted e -> state.ended(JobPhase.COMPLETED, Optional.empty());
      case JobCancelled e -> state.ended(JobPhase.CANCELLED, Optional.of("cancelled"));
      case JobFailed e -> state.ended(JobPhase.FAILED, Optional.of(e.reason()));
      case WorkerLeft e -> state.without(e.workerId());
    };
  }
}
