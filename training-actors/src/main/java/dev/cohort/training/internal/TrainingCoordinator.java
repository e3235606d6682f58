package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.sharding.EntityTypes;
import dev.cohort.training.CheckpointInfo;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus.LossPoint;
import dev.cohort.training.JobStatus;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.RingRendezvous;
import java.time.Duration;
import java.time.Instant;
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
 * lifecycle, its rendezvous and its checkpoint manifests: job submission, worker rendezvous into
 * numbered generations of a ring, loss of a worker (abort the generation, gather the survivors
 * again), checkpoint commits, recovery records, progress, completion and cancellation, and its
 * own restart (a RUNNING job resumes from the latest checkpoint, or a newer surviving replica).
 *
 * <p>A growing job: a worker that joins while a generation runs waits and takes part from the
 * next generation (after a loss or a restart); a healthy generation is not ended to let it in.
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
 * <p>Backend: every worker's {@link Join} says whether it holds a GPU (its node's worker pool
 * probed libcudart, libnccl.so.2 and the devices). A generation runs on one backend ({@link
 * State#backend}): ring or nccl as the spec asks; auto is nccl only when every member has a GPU,
 * otherwise ring. A job asking for nccl fails (FAILED, {@code backend_unavailable}, with the
 * worker's probe finding) as soon as a worker without a GPU joins, rather than waiting for GPU
 * workers that may never come. nccl rendezvous: the {@link Assignment} names the backend; rank 0
 * creates the NCCL unique id and sends it in {@link NcclIdCreated}; the coordinator hands every
 * member its {@link NcclRendezvous} (rank, size, the id, its GPU) in {@link NcclStart}. The id is
 * not persisted: a restarted coordinator ends the generation anyway.
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
   * most advanced replica becomes rank 0, the one every other rank copies. {@code device} is its
   * GPU ({@link WorkerDevice#CPU} for none) and {@code deviceNote} its node's probe finding, which
   * decide whether the job's generations can run on nccl.
   */
  public record Join(String workerId, String ringAddress, long replicaStep, int device, String deviceNote,
      ActorRef<WorkerMessage> worker, ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

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

  /**
   * Rank 0 of an nccl {@code generation} created the communicator's unique id ({@code
   * ncclGetUniqueId}, which also starts NCCL's bootstrap root in rank 0's process); the
   * coordinator hands it to every member in {@link NcclStart}. Not persisted: a restarted
   * coordinator ends the generation anyway.
   */
  public record NcclIdCreated(long generation, NcclRendezvous rankZero) implements Command {}

  /** Cancels the job (DELETE); members are told to stop. */
  public record Cancel(ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  public record Get(ActorRef<StatusReply<JobStatus>> replyTo) implements Command {}

  /**
   * Rank 0 of {@code generation} wrote every chunk of a checkpoint durably; the coordinator
   * commits its manifest (only then may it be loaded) and deletes checkpoints beyond {@code
   * checkpoint.keep}.
   */
  public record CheckpointSaved(long generation, CheckpointInfo checkpoint) implements Command {}

  /**
   * Starts the entity if it is not running (the job index's waker sends it to unfinished jobs):
   * recovery then resumes the job. No reply.
   */
  public enum Wake implements Command { INSTANCE }

  /**
   * Sharding's hand-off message: stop once the events being persisted are written. The default
   * (PoisonPill) waits behind a coordinator that persists progress every step, and hand-off
   * then gives up after its timeout.
   */
  public enum Passivate implements Command { INSTANCE }

  /** The entity recovered in RUNNING: the generation it ran lost its coordinator. Package-private as above. */
  record Restarted(long generation) implements Command {}

  /** The rendezvous wait after workers.min joined has passed (timer). */
  // Package-private, not private, only so that TrainingRegistrations can give it a Kryo id.
  record RendezvousDeadline(long generation) implements Command {}

  /** Time to ask the worker pools again (periodic timer while gathering). Package-private as above. */
  enum RecruitTick implements Command { INSTANCE }

  // Messages to workers -------------------------------------------------------------------------

  public sealed interface WorkerMessage extends CohortSerializable {}

  /**
   * You are {@code rendezvous.rank()} of {@code generation}: form the communicator of {@code
   * backend} (ring: connect to the peers; nccl: rank 0 creates the unique id and sends it in
   * {@link NcclIdCreated}, every rank then waits for {@link NcclStart}) and train, starting from
   * {@code resume} (rank 0 loads it; every other rank copies rank 0). {@code coordinator} is the
   * coordinator's current incarnation, the one to report to.
   */
  public record Assignment(String jobId, long generation, TrainingJobSpec spec, Backend backend,
      RingRendezvous rendezvous, Resume resume, ActorRef<Command> coordinator) implements WorkerMessage {}

  /** The nccl rendezvous of {@code generation} for the receiving rank (its rank, size, id and GPU). */
  public record NcclStart(String jobId, long generation, NcclRendezvous rendezvous) implements WorkerMessage {}

  /**
   * Stop {@code generation}: abort its communicator; join again (with {@code coordinator}, which
   * may be a new incarnation after a restart) unless the job ended.
   */
  public record Abort(String jobId, long generation, String reason, boolean jobEnded, ActorRef<Command> coordinator)
      implements WorkerMessage {}

  /**
   * Where a generation starts: {@code from} is {@link RecoveryInfo#FROM_CHECKPOINT} (rank 0 loads
   * {@code checkpoint}), {@link RecoveryInfo#FROM_REPLICA} (rank 0 keeps its in-memory replica,
   * at {@code step}) or {@link RecoveryInfo#FROM_START} (rank 0 starts from the seed).
   */
  public record Resume(String from, long step, Optional<CheckpointInfo> checkpoint) implements CohortSerializable {
    static final Resume START = new Resume(RecoveryInfo.FROM_START, 0, Optional.empty());
  }

  // Reply: dev.cohort.training.JobStatus (public, the gateway and the embedded API show it).

  // Event --------------------------------------------------------------------------------------

  public sealed interface Event extends CohortSerializable {}

  public record JobSubmitted(TrainingJobSpec spec) implements Event {}

  public record WorkerJoined(String workerId, String ringAddress, long replicaStep, int device, String deviceNote,
      ActorRef<WorkerMessage> worker) implements Event {}

  public record GenerationFormed(long generation, long token) implements Event {}

  public record GenerationAborted(long generation, String workerId, String reason) implements Event {}

  public record ProgressReported(int epoch, long step, double loss, double samplesPerSecond) implements Event {}

  public record JobCompleted(long generation) implements Event {}

  public record JobCancelled() implements Event {}

  public record JobFailed(String reason) implements Event {}

  public record WorkerLeft(String workerId) implements Event {}

  /** A checkpoint's manifest: every chunk was durable before this was written. */
  public record CheckpointCommitted(CheckpointInfo checkpoint) implements Event {}

  /** A generation ended by a loss, a failure or a restart: a recovery begins. */
  public record RecoveryStarted(String reason, Instant at) implements Event {}

  /** Persisted with every {@link GenerationFormed}: where that generation starts. */
  public record GenerationResumed(long generation, Resume resume) implements Event {}

  /** The first step of {@code generation} after a recovery completed: the recovery ended. */
  public record TrainingResumed(long generation, Instant at) implements Event {}

  // State --------------------------------------------------------------------------------------

  public record Member(String workerId, String ringAddress, long replicaStep, int device, String deviceNote,
      ActorRef<WorkerMessage> worker) implements CohortSerializable {}

  /**
   * @param joined workers gathered for the next generation (RENDEZVOUS) or its members (RUNNING)
   * @param waiting workers that joined while a generation ran; they are told to join again at
   *     the next rendezvous
   * @param checkpoints committed checkpoints still stored, oldest first (at most checkpoint.keep)
   * @param recoveryLog the most recent recoveries, oldest first
   * @param resume where the current (or last) generation started
   */
  public record State(JobPhase phase, Optional<TrainingJobSpec> spec, long generation, long token,
      List<Member> joined, List<Member> waiting, int epoch, long step, List<LossPoint> losses,
      double samplesPerSecond, int recoveries, Optional<String> reason, List<CheckpointInfo> checkpoints,
      List<RecoveryInfo> recoveryLog, Resume resume) implements CohortSerializable {

    /** Recoveries a job's status keeps; older ones are dropped first (the count stays exact). */
    static final int MAX_RECOVERIES_SHOWN = 100;

    static State empty() {
      return new State(JobPhase.PENDING, Optional.empty(), 0, 0, List.of(), List.of(), 0, 0, List.of(), 0, 0, Optional.empty(),
          List.of(), List.of(), Resume.START);
    }

    boolean ended() {
      return phase.ended();
    }

    /**
     * The backend of the current (or forming) generation, the same for all its ranks: ring or
     * nccl as the spec says; auto is nccl only when every member has a GPU (all ranks must run
     * one backend, and a CPU worker cannot join an NCCL communicator), otherwise ring.
     */
    Backend backend() {
      Backend requested = spec.map(TrainingJobSpec::backend).orElse(Backend.AUTO);
      if (requested != Backend.AUTO) {
        return requested;
      }
      return !joined.isEmpty() && joined.stream().allMatch(m -> m.device() >= 0) ? Backend.NCCL : Backend.RING;
    }

    boolean isMember(String workerId) {
      return joined.stream().anyMatch(m -> m.workerId().equals(workerId));
    }

    Optional<CheckpointInfo> latestCheckpoint() {
      return checkpoints.isEmpty() ? Optional.empty() : Optional.of(checkpoints.getLast());
    }

    Optional<RecoveryInfo> recoveryInProgress() {
      return recoveryLog.isEmpty() || !recoveryLog.getLast().inProgress() ? Optional.empty() : Optional.of(recoveryLog.getLast());
    }

    State submitted(TrainingJobSpec s) {
      return new State(JobPhase.RENDEZVOUS, Optional.of(s), generation, token, List.of(), List.of(), 0, 0, List.of(), 0, 0,
          Optional.empty(), List.of(), List.of(), Resume.START);
    }

    State withMembers(JobPhase p, List<Member> j, List<Member> w) {
      return new State(p, spec, generation, token, j, w, epoch, step, losses, samplesPerSecond, recoveries, reason,
          checkpoints, recoveryLog, resume);
    }

    State withJoined(Member m) {
      List<Member> next = new ArrayList<>(phase == JobPhase.RUNNING ? waiting : joined);
      next.removeIf(x -> x.workerId().equals(m.workerId())); // a re-join replaces the old address
      next.add(m);
      return phase == JobPhase.RUNNING ? withMembers(phase, joined, List.copyOf(next)) : withMembers(phase, List.copyOf(next), waiting);
    }

    State without(String workerId) {
      List<Member> j = joined.stream().filter(m -> !m.workerId().equals(workerId)).toList();
      List<Member> w = waiting.stream().filter(m -> !m.workerId().equals(workerId)).toList();
      return withMembers(phase, j, w);
    }

    State formed(GenerationFormed e) {
      // Rank order: most advanced replica first (rank 0 is copied by all), then join order.
      List<Member> ranked = joined.stream()
          .sorted(java.util.Comparator.comparingLong(Member::replicaStep).reversed())
          .toList();
      return new State(JobPhase.RUNNING, spec, e.generation(), e.token(), ranked, waiting, epoch, step, losses, samplesPerSecond,
          recoveries, reason, checkpoints, recoveryLog, resume);
    }

    State aborted(GenerationAborted e) {
      // Everyone gathers again with fresh endpoints: the old ring is gone.
      return new State(JobPhase.RENDEZVOUS, spec, generation, token, List.of(), List.of(), epoch, step, losses, 0, recoveries + 1,
          Optional.of(e.reason()), checkpoints, recoveryLog, resume);
    }

    State progressed(ProgressReported e, int maxPoints) {
      List<LossPoint> next = new ArrayList<>(losses);
      next.add(new LossPoint(e.step(), e.loss()));
      if (next.size() > maxPoints) {
        next = next.subList(next.size() - maxPoints, next.size());
      }
      return new State(phase, spec, generation, token, joined, waiting, e.epoch(), e.step(), List.copyOf(next), e.samplesPerSecond(),
          recoveries, reason, checkpoints, recoveryLog, resume);
    }

    State ended(JobPhase end, Optional<String> why) {
      return new State(end, spec, generation, token, joined, waiting, epoch, step, losses, 0, recoveries, why, checkpoints,
          recoveryLog, resume);
    }

    State committed(CheckpointInfo c, int keep) {
      List<CheckpointInfo> next = new ArrayList<>(checkpoints);
      next.add(c);
      while (next.size() > keep) {
        next.removeFirst();
      }
      return new State(phase, spec, generation, token, joined, waiting, epoch, step, losses, samplesPerSecond, recoveries, reason,
          List.copyOf(next), recoveryLog, resume);
    }

    State withRecoveries(List<RecoveryInfo> log, Resume r) {
      List<RecoveryInfo> next = log.size() > MAX_RECOVERIES_SHOWN ? log.subList(log.size() - MAX_RECOVERIES_SHOWN, log.size()) : log;
      return new State(phase, spec, generation, token, joined, waiting, epoch, step, losses, samplesPerSecond, recoveries, reason,
          checkpoints, List.copyOf(next), r);
    }

    State recoveryStarted(RecoveryStarted e) {
      List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
      next.add(new RecoveryInfo(0, e.reason(), e.at(), -1, -1, ""));
      return withRecoveries(next, resume);
    }

    State resumed(GenerationResumed e) {
      Optional<RecoveryInfo> open = recoveryInProgress();
      if (open.isEmpty() || open.get().generation() != 0) {
        return withRecoveries(recoveryLog, e.resume());
      }
      List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
      RecoveryInfo r = open.get();
      next.set(next.size() - 1, new RecoveryInfo(e.generation(), r.reason(), r.startedAt(), -1, e.resume().step(), e.resume().from()));
      return withRecoveries(next, e.resume());
    }

    State trainingResumed(TrainingResumed e) {
      Optional<RecoveryInfo> open = recoveryInProgress();
      if (open.isEmpty() || open.get().generation() != e.generation()) {
        return this;
      }
      List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
      RecoveryInfo r = open.get();
      long ms = Math.max(0, Duration.between(r.startedAt(), e.at()).toMillis());
      next.set(next.size() - 1, new RecoveryInfo(r.generation(), r.reason(), r.startedAt(), ms, r.resumedFromStep(), r.resumedFrom()));
      return withRecoveries(next, resume);
    }

    JobStatus status(String jobId) {
      String backend = backend().id();
      return new JobStatus(jobId, phase, spec, generation, joined.stream().map(Member::workerId).toList(),
          joined.stream().map(m -> new JobStatus.Worker(m.workerId(), backend, m.device() >= 0 ? "cuda:" + m.device() : "cpu"))
              .toList(),
          waiting.stream().map(Member::workerId).toList(), epoch, step, losses, samplesPerSecond, recoveries, reason,
          recoveryLog, latestCheckpoint());
    }
  }

  // Wiring -------------------------------------------------------------------------------------

  private final String jobId;
  private final TrainingSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorContext<Command> context;
  private final TrainingMetrics metrics;
  private final ActorRef<Recruiter.Msg> recruiter;
  private final CheckpointStore checkpoints;
  private final TrainingJobIndex.Client index;

  /** Registers the entity type; coordinators report ended jobs to {@code index}. */
  public static void init(ActorSystem<?> system, TrainingSettings settings, TrainingJobIndex.Client index) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY, context -> create(context.getEntityId(), settings, index))
        .withStopMessage(Passivate.INSTANCE));
  }

  /** A coordinator outside sharding and without a job index (tests of one job). */
  public static Behavior<Command> create(String jobId, TrainingSettings settings) {
    return create(jobId, settings, TrainingJobIndex.Client.NONE);
  }

  public static Behavior<Command> create(String jobId, TrainingSettings settings, TrainingJobIndex.Client index) {
    return Behaviors.setup(context ->
        Behaviors.withTimers(timers -> new TrainingCoordinator(jobId, settings, index, timers, context)));
  }

  private TrainingCoordinator(String jobId, TrainingSettings settings, TrainingJobIndex.Client index,
      TimerScheduler<Command> timers, ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), jobId));
    this.jobId = jobId;
    this.settings = settings;
    this.timers = timers;
    this.context = context;
    this.metrics = TrainingMetrics.get(context.getSystem());
    this.recruiter = context.spawn(Recruiter.create(jobId, context.getSelf()), "recruiter");
    this.checkpoints = new CheckpointStore(context.getSystem());
    this.index = index;
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
        .onCommand(NcclIdCreated.class, this::onNcclId)
        .onCommand(RendezvousDeadline.class, this::onDeadline)
        .onCommand(RecruitTick.class, this::onRecruitTick)
        .onCommand(CheckpointSaved.class, this::onCheckpointSaved)
        .onCommand(Restarted.class, this::onRestarted)
        .onCommand(Wake.class, (state, wake) -> Effect().noReply())
        .onCommand(Passivate.class, (state, stop) -> Effect().stop().thenNoReply())
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
    Member member = new Member(cmd.workerId(), cmd.ringAddress(), cmd.replicaStep(), cmd.device(), cmd.deviceNote(), cmd.worker());
    if (spec.backend() == Backend.NCCL && cmd.device() < 0) {
      // No new generation can fix this on this worker, and waiting for GPU workers that may not
      // exist would hang the job: fail it, naming what the worker's node lacks.
      String why = "backend_unavailable: nccl requested but worker " + cmd.workerId() + " has no GPU: "
          + cmd.deviceNote();
      return Effect().persist(new JobFailed(why))
          .thenRun(next -> {
            timers.cancel(RENDEZVOUS_TIMER);
            tellAll(state, abort(state, "job failed: " + why, true));
            index.ended(jobId, JobPhase.FAILED);
          })
          .thenReply(cmd.replyTo(), next -> StatusReply.error("job '" + jobId + "' failed: " + why));
    }
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
      GenerationFormed formed = formed(state);
      events.add(formed);
      events.add(new GenerationResumed(formed.generation(), resumePlan(state.withJoined(member))));
    }
    return Effect().persist(events)
        .thenRun(next -> watch(member))
        .thenRun(this::afterRendezvousChange)
        .thenReply(cmd.replyTo(), next -> StatusReply.success(next.status(jobId)));
  }

  private static WorkerJoined joined(Member m) {
    return new WorkerJoined(m.workerId(), m.ringAddress(), m.replicaStep(), m.device(), m.deviceNote(), m.worker());
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
    if (state.ended()) {
      index.ended(jobId, state.phase()); // again: the first report may have been lost with its node
    }
    if (state.phase() == JobPhase.RUNNING) {
      // The generation's members report to the incarnation that died: end it and gather again.
      context.getSelf().tell(new Restarted(state.generation()));
    }
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
    GenerationFormed formed = formed(state);
    return Effect().persist(List.of(formed, new GenerationResumed(formed.generation(), resumePlan(state))))
        .thenRun(this::afterRendezvousChange)
        .thenNoReply();
  }

  /** After a join or a formed generation: send assignments, or arm the wait for more workers. */
  private void afterRendezvousChange(State state) {
    if (state.phase() == JobPhase.RUNNING) {
      timers.cancel(RENDEZVOUS_TIMER);
      List<String> peers = state.joined().stream().map(Member::ringAddress).toList();
      Backend backend = state.backend();
      context.getLog().info("job {} generation {}: {} ranks on {}", jobId, state.generation(), peers.size(), backend.id());
      for (int rank = 0; rank < state.joined().size(); rank++) {
        Member m = state.joined().get(rank);
        m.worker().tell(new Assignment(jobId, state.generation(), state.spec().orElseThrow(), backend,
            new RingRendezvous(state.token(), rank, peers), state.resume(), context.getSelf()));
      }
    } else {
      armRendezvousTimer(state);
    }
  }

  /**
   * Where the next generation starts: from the newest of the last checkpoint and (when {@code
   * recovery.prefer-replicas}) the most advanced replica among the gathered workers; rank 0 is
   * the holder of that replica (see {@link State#formed}).
   */
  private Resume resumePlan(State state) {
    long bestReplica = state.joined().stream().mapToLong(Member::replicaStep).max().orElse(-1);
    Optional<CheckpointInfo> checkpoint = state.latestCheckpoint();
    boolean replicaNewer = settings.preferReplicas() && bestReplica > checkpoint.map(CheckpointInfo::step).orElse(0L);
    if (replicaNewer) {
      return new Resume(RecoveryInfo.FROM_REPLICA, bestReplica, Optional.empty());
    }
    return checkpoint.map(c -> new Resume(RecoveryInfo.FROM_CHECKPOINT, c.step(), Optional.of(c))).orElse(Resume.START);
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
      String why = "worker " + cmd.workerId() + " lost: " + cmd.reason();
      return Effect().persist(abortEvents(state, cmd.workerId(), why))
          .thenRun(next -> metrics.recovered(jobId))
          .thenRun(next -> recruiter.tell(new Recruiter.Need(1))) // a replacement, if a slot is free
          .thenRun(next -> armRecruitTimer())
          .thenRun(next -> tellAll(state.without(cmd.workerId()), abort(state, why, false)))
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
    String why = "worker " + cmd.workerId() + " reported: " + cmd.reason();
    return Effect().persist(abortEvents(state, cmd.workerId(), why))
        .thenRun(next -> metrics.recovered(jobId))
        .thenRun(next -> armRecruitTimer())
        .thenRun(next -> tellAll(state, abort(state, why, false)))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onRestarted(State state, Restarted cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply();
    }
    String why = "the coordinator restarted";
    return Effect().persist(abortEvents(state, "coordinator", why))
        .thenRun(next -> metrics.recovered(jobId))
        .thenRun(next -> recruiter.tell(new Recruiter.Need(state.spec().orElseThrow().maxWorkers())))
        .thenRun(next -> armRecruitTimer())
        .thenRun(next -> tellAll(state, abort(state, why, false)))
        .thenNoReply();
  }

  private static List<Event> abortEvents(State state, String workerId, String reason) {
    return List.of(new GenerationAborted(state.generation(), workerId, reason), new RecoveryStarted(reason, Instant.now()));
  }

  private Abort abort(State state, String reason, boolean jobEnded) {
    return new Abort(jobId, state.generation(), reason, jobEnded, context.getSelf());
  }

  private ReplyEffect<Event, State> onCheckpointSaved(State state, CheckpointSaved cmd) {
    CheckpointInfo c = cmd.checkpoint();
    boolean current = state.phase() == JobPhase.RUNNING && cmd.generation() == state.generation()
        && c.generation() == state.generation();
    if (!current || state.latestCheckpoint().map(l -> l.step() >= c.step()).orElse(false)) {
      // Not committed, so never loaded: its chunks are garbage.
      checkpoints.delete(CheckpointStore.persistenceId(jobId, c.generation(), c.step()));
      return Effect().noReply();
    }
    return Effect().persist(new CheckpointCommitted(c))
        .thenRun(next -> state.checkpoints().stream()
            .filter(old -> !next.checkpoints().contains(old))
            // Deleted only after the newer manifest is durable: a crash in between leaves an
            // extra checkpoint, never none.
            .forEach(old -> checkpoints.delete(CheckpointStore.persistenceId(jobId, old.generation(), old.step()))))
        .thenNoReply();
  }

  /** Rank 0's unique id: every member gets its own rank of the same id, on its own GPU. */
  private ReplyEffect<Event, State> onNcclId(State state, NcclIdCreated cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation() || state.backend() != Backend.NCCL) {
      return Effect().noReply(); // an aborted generation's id: its ranks are gone
    }
    byte[] id = cmd.rankZero().uniqueId();
    int size = state.joined().size();
    for (int rank = 0; rank < size; rank++) {
      Member m = state.joined().get(rank);
      m.worker().tell(new NcclStart(jobId, state.generation(), new NcclRendezvous(rank, size, id, m.device())));
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onFail(State state, Fail cmd) {
    if (state.ended() || state.phase() == JobPhase.PENDING || cmd.generation() != state.generation()) {
      return Effect().noReply();
    }
    return Effect().persist(new JobFailed(cmd.reason()))
        .thenRun(next -> {
          timers.cancel(RENDEZVOUS_TIMER);
          tellAll(state, abort(state, "job failed: " + cmd.reason(), true));
          index.ended(jobId, JobPhase.FAILED);
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onProgress(State state, ReportProgress cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply(); // a report from an aborted generation
    }
    ProgressReported progress = new ProgressReported(cmd.epoch(), cmd.step(), cmd.loss(), cmd.samplesPerSecond());
    if (state.recoveryInProgress().map(r -> r.generation() == cmd.generation()).orElse(false)) {
      return Effect().persist(List.of(progress, new TrainingResumed(cmd.generation(), Instant.now()))).thenNoReply();
    }
    return Effect().persist(progress).thenNoReply();
  }

  private ReplyEffect<Event, State> onFinish(State state, Finish cmd) {
    if (state.phase() != JobPhase.RUNNING || cmd.generation() != state.generation()) {
      return Effect().noReply();
    }
    // Members wait for this before they stop: a member stopping first would look like a loss.
    return Effect().persist(new JobCompleted(cmd.generation()))
        .thenRun(next -> tellAll(state, abort(state, "job completed", true)))
        .thenRun(next -> index.ended(jobId, JobPhase.COMPLETED))
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
          tellAll(state, abort(state, "job cancelled", true));
          index.ended(jobId, JobPhase.CANCELLED);
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
      case WorkerJoined e ->
          state.withJoined(new Member(e.workerId(), e.ringAddress(), e.replicaStep(), e.device(), e.deviceNote(), e.worker()));
      case GenerationFormed e -> state.formed(e);
      case GenerationAborted e -> state.aborted(e);
      case ProgressReported e -> state.progressed(e, settings.maxLossPoints());
      case JobCompleted e -> state.ended(JobPhase.COMPLETED, Optional.empty());
      case JobCancelled e -> state.ended(JobPhase.CANCELLED, Optional.of("cancelled"));
      case JobFailed e -> state.ended(JobPhase.FAILED, Optional.of(e.reason()));
      case WorkerLeft e -> state.without(e.workerId());
      case CheckpointCommitted e -> state.committed(e.checkpoint(), settings.checkpointsKept());
      case RecoveryStarted e -> state.recoveryStarted(e);
      case GenerationResumed e -> state.resumed(e);
      case TrainingResumed e -> state.trainingResumed(e);
    };
  }
}
