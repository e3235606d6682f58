package dev.cohort.training.internal;

import dev.cohort.observability.TraceContext;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.sharding.EntityTypes;
import dev.cohort.training.CheckpointInfo;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.RingRendezvous;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import dev.cohort.training.internal.Job.Member;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The coordinator of one training job: a sharded, event-sourced entity that owns the job's protocol
 * and routes each command to the handler of the job's stage ({@link JobState}); the job's data and
 * its pure transitions live in {@link Job}, the messages to workers and pools in {@link
 * GenerationDriver}. It owns the job's lifecycle, its rendezvous and its checkpoint manifests: job
 * submission, worker rendezvous into numbered generations of a ring, loss of a worker (abort the
 * generation, gather the survivors again), checkpoint commits, recovery records, progress,
 * completion and cancellation, and its own restart (a RUNNING job resumes from the latest
 * checkpoint, or a newer surviving replica).
 *
 * <p>A growing job: a worker that joins while a generation runs waits and takes part from the next
 * generation (after a loss or a restart); a healthy generation is not ended to let it in.
 *
 * <p>States: {@code PENDING} (no job yet) → {@code RENDEZVOUS} (gathering workers) → {@code
 * RUNNING} (a generation is training) → {@code COMPLETED | FAILED | CANCELLED}; a lost worker takes
 * {@code RUNNING} back to {@code RENDEZVOUS} with the next generation number.
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
 * Job#backend}): ring or nccl as the spec asks; auto is nccl only when every member has a GPU,
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
        TrainingCoordinator.Command, TrainingCoordinator.Event, JobState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "TrainingJob");

  // Command ------------------------------------------------------------------------------------

  public sealed interface Command extends CohortSerializable {}

  /** Creates the job; repeating the same spec is answered again (idempotent submit). */
  public record Submit(TrainingJobSpec spec, ActorRef<Reply> replyTo) implements Command {}

  /**
   * A worker offers itself for the next generation, listening on {@code ringAddress}; {@code
   * replicaStep} is the global step of the model replica it holds (-1 for none), so that the most
   * advanced replica becomes rank 0, the one every other rank copies. {@code device} is its GPU
   * ({@link WorkerDevice#CPU} for none) and {@code deviceNote} its node's probe finding, which
   * decide whether the job's generations can run on nccl. {@code computes} are the computes it can
   * run (java always; empty reads as java only) and {@code computeNote} why, which decide the
   * compute it uses ({@link Computes#resolve}).
   */
  public record Join(
      String workerId,
      String ringAddress,
      long replicaStep,
      int device,
      String deviceNote,
      ActorRef<WorkerMessage> worker,
      ActorRef<Reply> replyTo,
      List<ComputeKind> computes,
      String computeNote)
      implements Command {

    /** A worker that runs the java compute only. */
    public Join(
        String workerId,
        String ringAddress,
        long replicaStep,
        int device,
        String deviceNote,
        ActorRef<WorkerMessage> worker,
        ActorRef<Reply> replyTo) {
      this(
          workerId,
          ringAddress,
          replicaStep,
          device,
          deviceNote,
          worker,
          replyTo,
          List.of(ComputeKind.JAVA),
          "java only");
    }
  }

  /** A worker died or left (its actor stopped, its node went down); ends its generation. */
  public record WorkerLost(String workerId, String reason) implements Command {}

  /**
   * A member's communicator failed in {@code generation} (a peer vanished, a collective timed out);
   * ends that generation only, so a late report cannot end a newer one.
   */
  public record GenerationFailed(long generation, String workerId, String reason)
      implements Command {}

  /** Rank 0's progress report after a step of {@code generation}. */
  public record ReportProgress(
      long generation, int epoch, long step, double loss, double samplesPerSecond)
      implements Command {}

  /** Rank 0 reports that {@code generation} finished every epoch. */
  public record Finish(long generation) implements Command {}

  /** A worker hit an error no new generation can fix (malformed dataset, backend unavailable). */
  public record Fail(long generation, String reason) implements Command {}

  /**
   * Rank 0 of an nccl {@code generation} created the communicator's unique id ({@code
   * ncclGetUniqueId}, which also starts NCCL's bootstrap root in rank 0's process); the coordinator
   * hands it to every member in {@link NcclStart}. Not persisted: a restarted coordinator ends the
   * generation anyway.
   */
  public record NcclIdCreated(long generation, NcclRendezvous rankZero) implements Command {}

  /** Cancels the job (DELETE); members are told to stop. */
  public record Cancel(ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Rank 0 of {@code generation} wrote every chunk of a checkpoint durably; the coordinator commits
   * its manifest (only then may it be loaded) and deletes checkpoints beyond {@code
   * checkpoint.keep}.
   */
  public record CheckpointSaved(long generation, CheckpointInfo checkpoint) implements Command {}

  /**
   * Starts the entity if it is not running (the job index's waker sends it to unfinished jobs):
   * recovery then resumes the job. No reply.
   */
  public enum Wake implements Command {
    INSTANCE
  }

  /**
   * Sharding's hand-off message: stop once the events being persisted are written. The default
   * (PoisonPill) waits behind a coordinator that persists progress every step, and hand-off then
   * gives up after its timeout.
   */
  public enum Passivate implements Command {
    INSTANCE
  }

  /**
   * The entity recovered in RUNNING: the generation it ran lost its coordinator. Package-private as
   * above.
   */
  record Restarted(long generation) implements Command {}

  /** The rendezvous wait after workers.min joined has passed (timer). */
  // Package-private, not private, only so that TrainingRegistrations can give it a Kryo id.
  record RendezvousDeadline(long generation) implements Command {}

  /**
   * Time to ask the worker pools again (periodic timer while gathering). Package-private as above.
   */
  enum RecruitTick implements Command {
    INSTANCE
  }

  // Messages to workers -------------------------------------------------------------------------

  public sealed interface WorkerMessage extends CohortSerializable {}

  /**
   * You are {@code rendezvous.rank()} of {@code generation}: form the communicator of {@code
   * backend} (ring: connect to the peers; nccl: rank 0 creates the unique id and sends it in {@link
   * NcclIdCreated}, every rank then waits for {@link NcclStart}) and train, starting from {@code
   * resume} (rank 0 loads it; every other rank copies rank 0). {@code coordinator} is the
   * coordinator's current incarnation, the one to report to. {@code trace} is the generation's span
   * (null when tracing is off): the worker's rendezvous, checkpoint and allreduce spans are its
   * children.
   */
  public record Assignment(
      String jobId,
      long generation,
      TrainingJobSpec spec,
      Backend backend,
      RingRendezvous rendezvous,
      Resume resume,
      ActorRef<Command> coordinator,
      TraceContext trace)
      implements WorkerMessage {}

  /**
   * The nccl rendezvous of {@code generation} for the receiving rank (its rank, size, id and GPU).
   */
  public record NcclStart(String jobId, long generation, NcclRendezvous rendezvous)
      implements WorkerMessage {}

  /**
   * Stop {@code generation}: abort its communicator; join again (with {@code coordinator}, which
   * may be a new incarnation after a restart) unless the job ended.
   */
  public record Abort(
      String jobId, long generation, String reason, boolean jobEnded, ActorRef<Command> coordinator)
      implements WorkerMessage {}

  /**
   * Where a generation starts: {@code from} is {@link RecoveryInfo#FROM_CHECKPOINT} (rank 0 loads
   * {@code checkpoint}), {@link RecoveryInfo#FROM_REPLICA} (rank 0 keeps its in-memory replica, at
   * {@code step}) or {@link RecoveryInfo#FROM_START} (rank 0 starts from the seed).
   */
  public record Resume(String from, long step, Optional<CheckpointInfo> checkpoint)
      implements CohortSerializable {
    static final Resume START = new Resume(RecoveryInfo.FROM_START, 0, Optional.empty());
  }

  // Reply --------------------------------------------------------------------------------------

  public sealed interface Reply extends CohortSerializable {}

  /** The job's status (the gateway and the embedded API show it). */
  public record Answer(JobStatus status) implements Reply {}

  /** The command was refused; nothing changed. Codes: {@link TrainingError}. */
  public record Rejected(Rejection rejection) implements Reply {}

  // Event --------------------------------------------------------------------------------------

  public sealed interface Event extends CohortSerializable {}

  public record JobSubmitted(TrainingJobSpec spec) implements Event {}

  public record WorkerJoined(
      String workerId,
      String ringAddress,
      long replicaStep,
      int device,
      String deviceNote,
      ActorRef<WorkerMessage> worker,
      List<ComputeKind> computes,
      String computeNote)
      implements Event {}

  public record GenerationFormed(long generation, long token) implements Event {}

  public record GenerationAborted(long generation, String workerId, String reason)
      implements Event {}

  public record ProgressReported(int epoch, long step, double loss, double samplesPerSecond)
      implements Event {}

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

  // Wiring -------------------------------------------------------------------------------------

  private final String jobId;
  private final TrainingSettings settings;
  private final ActorContext<Command> context;
  private final TrainingMetrics metrics;
  private final GenerationDriver driver;
  private final CheckpointStore checkpoints;
  private final TrainingJobIndex.Client index;

  /** Registers the entity type; coordinators report ended jobs to {@code index}. */
  public static void init(
      ActorSystem<?> system, TrainingSettings settings, TrainingJobIndex.Client index) {
    EntityTypes.init(
        system,
        Entity.of(ENTITY_TYPE_KEY, context -> create(context.getEntityId(), settings, index))
            .withStopMessage(Passivate.INSTANCE));
  }

  /** A coordinator outside sharding and without a job index (tests of one job). */
  public static Behavior<Command> create(String jobId, TrainingSettings settings) {
    return create(jobId, settings, TrainingJobIndex.Client.NONE);
  }

  public static Behavior<Command> create(
      String jobId, TrainingSettings settings, TrainingJobIndex.Client index) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> new TrainingCoordinator(jobId, settings, index, timers, context)));
  }

  private TrainingCoordinator(
      String jobId,
      TrainingSettings settings,
      TrainingJobIndex.Client index,
      TimerScheduler<Command> timers,
      ActorContext<Command> context) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), jobId));
    this.jobId = jobId;
    this.settings = settings;
    this.context = context;
    this.metrics = TrainingMetrics.get(context.getSystem());
    this.driver = new GenerationDriver(jobId, settings, timers, context);
    this.checkpoints = new CheckpointStore(context.getSystem());
    this.index = index;
  }

  @Override
  public JobState emptyState() {
    return JobState.empty();
  }

  @Override
  public SignalHandler<JobState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(PostStop.instance(), state -> metrics.forget(jobId))
        .build();
  }

  /**
   * Events are applied by one pure function: no metrics or messages here, since replay runs it too.
   */
  @Override
  public EventHandler<JobState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) ->
                state.apply(event, settings.maxLossPoints(), settings.checkpointsKept()));
  }

  // Command routing by stage: a stage lists what it takes; what falls through is answered or
  // ignored the same way in every stage (late reports of an ended generation, stray ticks).

  @Override
  public CommandHandlerWithReply<Command, Event, JobState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forStateType(JobState.Pending.class)
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(Join.class, (state, cmd) -> Effect().reply(cmd.replyTo(), notFound()))
        .onCommand(Cancel.class, (state, cmd) -> Effect().reply(cmd.replyTo(), notFound()));
    builder
        .forStateType(JobState.Gathering.class)
        .onCommand(Join.class, this::onGatheringJoin)
        .onCommand(WorkerLost.class, (state, cmd) -> onUnassignedLost(state.job(), cmd))
        .onCommand(RendezvousDeadline.class, this::onDeadline)
        .onCommand(RecruitTick.class, this::onRecruitTick)
        .onCommand(Fail.class, (state, cmd) -> onFail(state.job(), cmd))
        .onCommand(Cancel.class, (state, cmd) -> onCancel(state.job(), cmd));
    builder
        .forStateType(JobState.Running.class)
        .onCommand(Join.class, this::onRunningJoin)
        .onCommand(WorkerLost.class, this::onRunningLost)
        .onCommand(GenerationFailed.class, this::onGenerationFailed)
        .onCommand(Restarted.class, this::onRestarted)
        .onCommand(ReportProgress.class, this::onProgress)
        .onCommand(CheckpointSaved.class, this::onCheckpointSaved)
        .onCommand(NcclIdCreated.class, this::onNcclId)
        .onCommand(Finish.class, this::onFinish)
        .onCommand(Fail.class, (state, cmd) -> onFail(state.job(), cmd))
        .onCommand(Cancel.class, (state, cmd) -> onCancel(state.job(), cmd));
    builder
        .forStateType(JobState.Ended.class)
        .onCommand(
            Join.class,
            (state, cmd) ->
                Effect()
                    .reply(
                        cmd.replyTo(),
                        new Rejected(
                            TrainingError.JOB_ENDED.rejection(
                                "job '" + jobId + "' is " + state.job().phase()))))
        .onCommand(Cancel.class, (state, cmd) -> Effect().reply(cmd.replyTo(), answer(state)));
    builder
        .forAnyState()
        .onCommand(Submit.class, this::onSubmitAgain)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), answer(state)))
        .onCommand(CheckpointSaved.class, (state, cmd) -> discard(cmd.checkpoint()))
        .onCommand(
            RecruitTick.class,
            (state, tick) -> Effect().none().thenRun(s -> driver.stopRecruiting()).thenNoReply())
        .onCommand(Passivate.class, (state, stop) -> Effect().stop().thenNoReply())
        .onAnyCommand((state, stale) -> Effect().noReply());
    return builder.build();
  }

  private ReplyEffect<Event, JobState> onSubmit(JobState.Pending state, Submit cmd) {
    return persist(List.of(new JobSubmitted(cmd.spec())))
        .thenRun(next -> driver.recruit(cmd.spec().maxWorkers()))
        .thenReply(cmd.replyTo(), this::answer);
  }

  private ReplyEffect<Event, JobState> onSubmitAgain(JobState state, Submit cmd) {
    if (state.job().spec().equals(Optional.of(cmd.spec()))) {
      return Effect().reply(cmd.replyTo(), answer(state));
    }
    return Effect()
        .reply(
            cmd.replyTo(),
            new Rejected(
                TrainingError.JOB_EXISTS.rejection(
                    "job '" + jobId + "' already exists with another spec")));
  }

  private void onRecovered(JobState state) {
    publish(state);
    Job job = state.job();
    switch (state) {
      // again: the first report may have been lost with its node
      case JobState.Ended ended -> index.ended(jobId, job.phase());
      // The generation's members report to the incarnation that died: end it and gather again.
      case JobState.Running running -> context.getSelf().tell(new Restarted(job.generation()));
      // After a restart of the coordinator: gather again what the job misses.
      case JobState.Gathering gathering ->
          driver.recruit(job.spec().orElseThrow().maxWorkers() - job.joined().size());
      case JobState.Pending pending -> {}
    }
    if (!(state instanceof JobState.Ended)) {
      driver.watchAll(job);
    }
    driver.armRendezvousTimer(job);
  }

  // Joining ------------------------------------------------------------------------------------

  private ReplyEffect<Event, JobState> onGatheringJoin(JobState.Gathering state, Join cmd) {
    Job job = state.job();
    TrainingJobSpec spec = job.spec().orElseThrow();
    if (spec.backend() == Backend.NCCL && cmd.device() < 0) {
      return failForBackend(job, cmd);
    }
    if (Computes.resolve(spec.compute(), cmd.computes(), true).isEmpty()) {
      return failForCompute(job, cmd, spec);
    }
    Member member = member(cmd);
    int count = job.joined().size() + (job.isMember(cmd.workerId()) ? 0 : 1);
    if (count > spec.maxWorkers()) {
      return Effect().reply(cmd.replyTo(), full(spec));
    }
    List<Event> events = new ArrayList<>();
    events.add(joined(member));
    if (count == spec.maxWorkers()) {
      GenerationFormed formed = job.nextGeneration(jobId);
      events.add(formed);
      events.add(
          new GenerationResumed(
              formed.generation(), job.withJoined(member).resumePlan(settings.preferReplicas())));
    }
    return persist(events)
        .thenRun(next -> driver.watch(member))
        .thenRun(driver::afterRendezvousChange)
        .thenReply(cmd.replyTo(), this::answer);
  }

  /** Elastic growth: a worker joining a running generation takes part from the next one on. */
  private ReplyEffect<Event, JobState> onRunningJoin(JobState.Running state, Join cmd) {
    Job job = state.job();
    TrainingJobSpec spec = job.spec().orElseThrow();
    if (spec.backend() == Backend.NCCL && cmd.device() < 0) {
      return failForBackend(job, cmd);
    }
    if (Computes.resolve(spec.compute(), cmd.computes(), true).isEmpty()) {
      return failForCompute(job, cmd, spec);
    }
    if (job.joined().size() + job.waiting().size() >= spec.maxWorkers()) {
      return Effect().reply(cmd.replyTo(), full(spec));
    }
    Member member = member(cmd);
    return persist(List.of(joined(member)))
        .thenRun(next -> driver.watch(member))
        .thenReply(cmd.replyTo(), this::answer);
  }

  /**
   * No new generation can fix a worker without a GPU for an nccl job, and waiting for GPU workers
   * that may not exist would hang the job: fail it, naming what the worker's node lacks.
   */
  private ReplyEffect<Event, JobState> failForBackend(Job job, Join cmd) {
    return failOnJoin(
        job,
        cmd,
        TrainingError.BACKEND_UNAVAILABLE,
        "backend_unavailable: nccl requested but worker "
            + cmd.workerId()
            + " has no GPU: "
            + cmd.deviceNote());
  }

  /** A worker that cannot run the compute the job asks for fails it, naming what it lacks. */
  private ReplyEffect<Event, JobState> failForCompute(Job job, Join cmd, TrainingJobSpec spec) {
    return failOnJoin(
        job,
        cmd,
        TrainingError.COMPUTE_UNAVAILABLE,
        "compute_unavailable: "
            + spec.compute().id()
            + " requested but worker "
            + cmd.workerId()
            + " can run "
            + cmd.computes()
            + ": "
            + cmd.computeNote());
  }

  private ReplyEffect<Event, JobState> failOnJoin(
      Job job, Join cmd, TrainingError error, String why) {
    return persist(List.of(new JobFailed(why)))
        .thenRun(next -> endJob(job, "job failed: " + why, JobPhase.FAILED))
        .thenReply(
            cmd.replyTo(),
            next -> new Rejected(error.rejection("job '" + jobId + "' failed: " + why)));
  }

  private static Member member(Join cmd) {
    return new Member(
        cmd.workerId(),
        cmd.ringAddress(),
        cmd.replicaStep(),
        cmd.device(),
        cmd.deviceNote(),
        cmd.worker(),
        cmd.computes(),
        cmd.computeNote());
  }

  private static WorkerJoined joined(Member m) {
    return new WorkerJoined(
        m.workerId(),
        m.ringAddress(),
        m.replicaStep(),
        m.device(),
        m.deviceNote(),
        m.worker(),
        m.computes(),
        m.computeNote());
  }

  private Rejected full(TrainingJobSpec spec) {
    return new Rejected(
        TrainingError.JOB_FULL.rejection(
            "job '" + jobId + "' already has workers.max = " + spec.maxWorkers() + " workers"));
  }

  private ReplyEffect<Event, JobState> onDeadline(
      JobState.Gathering state, RendezvousDeadline cmd) {
    Job job = state.job();
    if (cmd.generation() != job.generation()
        || job.joined().size() < job.spec().orElseThrow().minWorkers()) {
      return Effect().noReply();
    }
    GenerationFormed formed = job.nextGeneration(jobId);
    return persist(
            List.of(
                formed,
                new GenerationResumed(
                    formed.generation(), job.resumePlan(settings.preferReplicas()))))
        .thenRun(driver::afterRendezvousChange)
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onRecruitTick(JobState.Gathering state, RecruitTick tick) {
    int missing = state.job().spec().orElseThrow().maxWorkers() - state.job().joined().size();
    return Effect().none().thenRun(s -> driver.recruitNow(missing)).thenNoReply();
  }

  // Losing a generation ------------------------------------------------------------------------

  /** Gathered but not yet in a ring: drop it so that no generation forms with a dead address. */
  private ReplyEffect<Event, JobState> onUnassignedLost(Job job, WorkerLost cmd) {
    if (job.isMember(cmd.workerId()) || job.isWaiting(cmd.workerId())) {
      return persist(List.of(new WorkerLeft(cmd.workerId()))).thenNoReply();
    }
    return Effect().noReply();
  }

  private ReplyEffect<Event, JobState> onRunningLost(JobState.Running state, WorkerLost cmd) {
    Job job = state.job();
    if (!job.isMember(cmd.workerId())) {
      return onUnassignedLost(job, cmd);
    }
    String why = "worker " + cmd.workerId() + " lost: " + cmd.reason();
    return endGeneration(job, cmd.workerId(), why)
        .thenRun(next -> driver.recruit(1)) // a replacement, if a slot is free
        .thenRun(next -> driver.abortAll(job.without(cmd.workerId()), why, false))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onGenerationFailed(
      JobState.Running state, GenerationFailed cmd) {
    Job job = state.job();
    if (cmd.generation() != job.generation()) {
      return Effect().noReply(); // a report about an older generation
    }
    String why = "worker " + cmd.workerId() + " reported: " + cmd.reason();
    return endGeneration(job, cmd.workerId(), why)
        .thenRun(next -> driver.armRecruitTimer())
        .thenRun(next -> driver.abortAll(job, why, false))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onRestarted(JobState.Running state, Restarted cmd) {
    Job job = state.job();
    if (cmd.generation() != job.generation()) {
      return Effect().noReply();
    }
    String why = "the coordinator restarted";
    return endGeneration(job, "coordinator", why)
        .thenRun(next -> driver.recruit(job.spec().orElseThrow().maxWorkers()))
        .thenRun(next -> driver.abortAll(job, why, false))
        .thenNoReply();
  }

  /** Records the end of the running generation and the start of a recovery. */
  private EffectBuilder<Event, JobState> endGeneration(Job job, String workerId, String reason) {
    return persist(
            List.of(
                new GenerationAborted(job.generation(), workerId, reason),
                new RecoveryStarted(reason, Instant.now())))
        .thenRun(next -> metrics.recovered(jobId));
  }

  // Reports of the running generation ----------------------------------------------------------

  private ReplyEffect<Event, JobState> onProgress(JobState.Running state, ReportProgress cmd) {
    Job job = state.job();
    if (cmd.generation() != job.generation()) {
      return Effect().noReply(); // a report from an aborted generation
    }
    ProgressReported progress =
        new ProgressReported(cmd.epoch(), cmd.step(), cmd.loss(), cmd.samplesPerSecond());
    if (job.recoveryInProgress().map(r -> r.generation() == cmd.generation()).orElse(false)) {
      return persist(List.of(progress, new TrainingResumed(cmd.generation(), Instant.now())))
          .thenNoReply();
    }
    return persist(List.of(progress)).thenNoReply();
  }

  private ReplyEffect<Event, JobState> onCheckpointSaved(
      JobState.Running state, CheckpointSaved cmd) {
    Job job = state.job();
    CheckpointInfo c = cmd.checkpoint();
    boolean current = cmd.generation() == job.generation() && c.generation() == job.generation();
    if (!current || job.latestCheckpoint().map(l -> l.step() >= c.step()).orElse(false)) {
      return discard(c);
    }
    return persist(List.of(new CheckpointCommitted(c)))
        .thenRun(
            next ->
                job.checkpoints().stream()
                    .filter(old -> !next.job().checkpoints().contains(old))
                    // Deleted only after the newer manifest is durable: a crash in between leaves
                    // an
                    // extra checkpoint, never none.
                    .forEach(
                        old ->
                            checkpoints.delete(
                                CheckpointStore.persistenceId(
                                    jobId, old.generation(), old.step()))))
        .thenNoReply();
  }

  /** A checkpoint that is not committed is never loaded: its chunks are garbage. */
  private ReplyEffect<Event, JobState> discard(CheckpointInfo c) {
    checkpoints.delete(CheckpointStore.persistenceId(jobId, c.generation(), c.step()));
    return Effect().noReply();
  }

  private ReplyEffect<Event, JobState> onNcclId(JobState.Running state, NcclIdCreated cmd) {
    Job job = state.job();
    if (cmd.generation() == job.generation() && job.backend() == Backend.NCCL) {
      driver.ncclStart(job, cmd.rankZero().uniqueId());
    }
    return Effect().noReply(); // otherwise an aborted generation's id: its ranks are gone
  }

  // Ending the job -----------------------------------------------------------------------------

  private ReplyEffect<Event, JobState> onFinish(JobState.Running state, Finish cmd) {
    Job job = state.job();
    if (cmd.generation() != job.generation()) {
      return Effect().noReply();
    }
    // Members wait for this before they stop: a member stopping first would look like a loss.
    return persist(List.of(new JobCompleted(cmd.generation())))
        .thenRun(next -> driver.complete(job))
        .thenRun(next -> index.ended(jobId, JobPhase.COMPLETED))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onFail(Job job, Fail cmd) {
    if (cmd.generation() != job.generation()) {
      return Effect().noReply();
    }
    return persist(List.of(new JobFailed(cmd.reason())))
        .thenRun(next -> endJob(job, "job failed: " + cmd.reason(), JobPhase.FAILED))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onCancel(Job job, Cancel cmd) {
    return persist(List.of(new JobCancelled()))
        .thenRun(next -> endJob(job, "job cancelled", JobPhase.CANCELLED))
        .thenReply(cmd.replyTo(), this::answer);
  }

  private void endJob(Job job, String reason, JobPhase end) {
    driver.endJob(job, reason);
    index.ended(jobId, end);
  }

  // Helpers ------------------------------------------------------------------------------------

  /** Persists {@code events}, then mirrors the new state into this node's gauges. */
  private EffectBuilder<Event, JobState> persist(List<Event> events) {
    return Effect().persist(events).thenRun(this::publish);
  }

  /** Mirrors the state into this node's gauges (idempotent, so calling it again is harmless). */
  private void publish(JobState state) {
    Job job = state.job();
    metrics.job(jobId, job.phase(), state instanceof JobState.Running ? job.joined().size() : 0);
  }

  private Answer answer(JobState state) {
    return new Answer(state.job().status(jobId));
  }

  private Rejected notFound() {
    return new Rejected(
        TrainingError.JOB_NOT_FOUND.rejection("job '" + jobId + "' does not exist"));
  }
}
