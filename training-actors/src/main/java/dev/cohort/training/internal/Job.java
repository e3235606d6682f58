package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.CheckpointInfo;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.JobStatus.LossPoint;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import dev.cohort.training.internal.TrainingCoordinator.CheckpointCommitted;
import dev.cohort.training.internal.TrainingCoordinator.Event;
import dev.cohort.training.internal.TrainingCoordinator.GenerationAborted;
import dev.cohort.training.internal.TrainingCoordinator.GenerationFormed;
import dev.cohort.training.internal.TrainingCoordinator.GenerationResumed;
import dev.cohort.training.internal.TrainingCoordinator.JobCancelled;
import dev.cohort.training.internal.TrainingCoordinator.JobCompleted;
import dev.cohort.training.internal.TrainingCoordinator.JobFailed;
import dev.cohort.training.internal.TrainingCoordinator.JobSubmitted;
import dev.cohort.training.internal.TrainingCoordinator.ProgressReported;
import dev.cohort.training.internal.TrainingCoordinator.RecoveryStarted;
import dev.cohort.training.internal.TrainingCoordinator.Resume;
import dev.cohort.training.internal.TrainingCoordinator.TrainingResumed;
import dev.cohort.training.internal.TrainingCoordinator.WorkerJoined;
import dev.cohort.training.internal.TrainingCoordinator.WorkerLeft;
import dev.cohort.training.internal.TrainingCoordinator.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a training coordinator knows about its job, whatever its stage ({@link JobState} says which
 * commands the stage takes): the spec, the generation and its members, progress, checkpoint
 * manifests and recovery records. Immutable; {@link #apply} is the one pure function from an event
 * to the next job, used by the entity's event handler and so also during replay.
 *
 * <p>Invariants: {@code joined} is in rank order once a generation formed (most advanced replica
 * first) and never changes while it runs (a loss ends the generation); {@code checkpoints} holds at
 * most {@code checkpoint.keep} manifests, oldest first; {@code recoveryLog} keeps the last {@link
 * #MAX_RECOVERIES_SHOWN} recoveries while {@code recoveries} counts them all.
 *
 * @param joined workers gathered for the next generation (RENDEZVOUS) or its members (RUNNING)
 * @param waiting workers that joined while a generation ran; they are told to join again at the
 *     next rendezvous
 * @param checkpoints committed checkpoints still stored, oldest first (at most checkpoint.keep)
 * @param recoveryLog the most recent recoveries, oldest first
 * @param resume where the current (or last) generation started
 */
public record Job(
    JobPhase phase,
    Optional<TrainingJobSpec> spec,
    long generation,
    long token,
    List<Job.Member> joined,
    List<Job.Member> waiting,
    int epoch,
    long step,
    List<LossPoint> losses,
    double samplesPerSecond,
    int recoveries,
    Optional<String> reason,
    List<CheckpointInfo> checkpoints,
    List<RecoveryInfo> recoveryLog,
    Resume resume)
    implements CohortSerializable {

  /** Recoveries a job's status keeps; older ones are dropped first (the count stays exact). */
  static final int MAX_RECOVERIES_SHOWN = 100;

  /**
   * A worker of the job: where its ring endpoint listens, its replica's step, its GPU and the
   * computes it can run (empty, as in a journal written before computes existed: java only).
   */
  public record Member(
      String workerId,
      String ringAddress,
      long replicaStep,
      int device,
      String deviceNote,
      ActorRef<WorkerMessage> worker,
      List<ComputeKind> computes,
      String computeNote)
      implements CohortSerializable {}

  static Job empty() {
    return new Job(
        JobPhase.PENDING,
        Optional.empty(),
        0,
        0,
        List.of(),
        List.of(),
        0,
        0,
        List.of(),
        0,
        0,
        Optional.empty(),
        List.of(),
        List.of(),
        Resume.START);
  }

  /** The next job after {@code event}; pure (no metrics, no messages: it also runs in replay). */
  Job apply(Event event, int maxLossPoints, int checkpointsKept) {
    return switch (event) {
      case JobSubmitted e -> submitted(e.spec());
      case WorkerJoined e ->
          withJoined(
              new Member(
                  e.workerId(),
                  e.ringAddress(),
                  e.replicaStep(),
                  e.device(),
                  e.deviceNote(),
                  e.worker(),
                  e.computes(),
                  e.computeNote()));
      case GenerationFormed e -> formed(e);
      case GenerationAborted e -> aborted(e);
      case ProgressReported e -> progressed(e, maxLossPoints);
      case JobCompleted e -> ended(JobPhase.COMPLETED, Optional.empty());
      case JobCancelled e -> ended(JobPhase.CANCELLED, Optional.of("cancelled"));
      case JobFailed e -> ended(JobPhase.FAILED, Optional.of(e.reason()));
      case WorkerLeft e -> without(e.workerId());
      case CheckpointCommitted e -> committed(e.checkpoint(), checkpointsKept);
      case RecoveryStarted e -> recoveryStarted(e);
      case GenerationResumed e -> resumed(e);
      case TrainingResumed e -> trainingResumed(e);
    };
  }

  /**
   * The backend of the current (or forming) generation, the same for all its ranks: ring or nccl as
   * the spec says; auto is nccl only when every member has a GPU (all ranks must run one backend,
   * and a CPU worker cannot join an NCCL communicator), otherwise ring.
   */
  Backend backend() {
    Backend requested = spec.map(TrainingJobSpec::backend).orElse(Backend.AUTO);
    if (requested != Backend.AUTO) {
      return requested;
    }
    return !joined.isEmpty() && joined.stream().allMatch(m -> m.device() >= 0)
        ? Backend.NCCL
        : Backend.RING;
  }

  boolean isMember(String workerId) {
    return joined.stream().anyMatch(m -> m.workerId().equals(workerId));
  }

  boolean isWaiting(String workerId) {
    return waiting.stream().anyMatch(m -> m.workerId().equals(workerId));
  }

  Optional<CheckpointInfo> latestCheckpoint() {
    return checkpoints.isEmpty() ? Optional.empty() : Optional.of(checkpoints.getLast());
  }

  Optional<RecoveryInfo> recoveryInProgress() {
    return recoveryLog.isEmpty() || !recoveryLog.getLast().inProgress()
        ? Optional.empty()
        : Optional.of(recoveryLog.getLast());
  }

  /** The next generation's number and its ring token, unique per (job, generation). */
  GenerationFormed nextGeneration(String jobId) {
    long next = generation + 1;
    // a stale worker's handshake carries an older token
    return new GenerationFormed(next, jobId.hashCode() * 0x9E3779B97F4A7C15L + next);
  }

  /**
   * Where the next generation starts: from the newest of the last checkpoint and (when {@code
   * preferReplicas}) the most advanced replica among the gathered workers; rank 0 is the holder of
   * that replica (see {@link #formed}).
   */
  Resume resumePlan(boolean preferReplicas) {
    long bestReplica = joined.stream().mapToLong(Member::replicaStep).max().orElse(-1);
    Optional<CheckpointInfo> checkpoint = latestCheckpoint();
    if (preferReplicas && bestReplica > checkpoint.map(CheckpointInfo::step).orElse(0L)) {
      return new Resume(RecoveryInfo.FROM_REPLICA, bestReplica, Optional.empty());
    }
    return checkpoint
        .map(c -> new Resume(RecoveryInfo.FROM_CHECKPOINT, c.step(), Optional.of(c)))
        .orElse(Resume.START);
  }

  JobStatus status(String jobId) {
    String backend = backend().id();
    boolean nccl = backend() == Backend.NCCL;
    ComputeKind requested = spec.map(TrainingJobSpec::compute).orElse(ComputeKind.AUTO);
    return new JobStatus(
        jobId,
        phase,
        spec,
        generation,
        joined.stream().map(Member::workerId).toList(),
        joined.stream()
            .map(
                m ->
                    new JobStatus.Worker(
                        m.workerId(),
                        backend,
                        m.device() >= 0 ? "cuda:" + m.device() : "cpu",
                        Computes.resolve(requested, m.computes(), nccl)
                            .map(ComputeKind::id)
                            .orElse("unavailable")))
            .toList(),
        waiting.stream().map(Member::workerId).toList(),
        epoch,
        step,
        losses,
        samplesPerSecond,
        recoveries,
        reason,
        recoveryLog,
        latestCheckpoint());
  }

  Job without(String workerId) {
    List<Member> j = joined.stream().filter(m -> !m.workerId().equals(workerId)).toList();
    List<Member> w = waiting.stream().filter(m -> !m.workerId().equals(workerId)).toList();
    return withMembers(j, w);
  }

  Job withJoined(Member m) {
    List<Member> next = new ArrayList<>(phase == JobPhase.RUNNING ? waiting : joined);
    next.removeIf(x -> x.workerId().equals(m.workerId())); // a re-join replaces the old address
    next.add(m);
    return phase == JobPhase.RUNNING
        ? withMembers(joined, List.copyOf(next))
        : withMembers(List.copyOf(next), waiting);
  }

  private Job submitted(TrainingJobSpec s) {
    return new Job(
        JobPhase.RENDEZVOUS,
        Optional.of(s),
        generation,
        token,
        List.of(),
        List.of(),
        0,
        0,
        List.of(),
        0,
        0,
        Optional.empty(),
        List.of(),
        List.of(),
        Resume.START);
  }

  private Job withMembers(List<Member> j, List<Member> w) {
    return new Job(
        phase,
        spec,
        generation,
        token,
        j,
        w,
        epoch,
        step,
        losses,
        samplesPerSecond,
        recoveries,
        reason,
        checkpoints,
        recoveryLog,
        resume);
  }

  private Job formed(GenerationFormed e) {
    // Rank order: most advanced replica first (rank 0 is copied by all), then join order.
    List<Member> ranked =
        joined.stream().sorted(Comparator.comparingLong(Member::replicaStep).reversed()).toList();
    return new Job(
        JobPhase.RUNNING,
        spec,
        e.generation(),
        e.token(),
        ranked,
        waiting,
        epoch,
        step,
        losses,
        samplesPerSecond,
        recoveries,
        reason,
        checkpoints,
        recoveryLog,
        resume);
  }

  private Job aborted(GenerationAborted e) {
    // Everyone gathers again with fresh endpoints: the old ring is gone.
    return new Job(
        JobPhase.RENDEZVOUS,
        spec,
        generation,
        token,
        List.of(),
        List.of(),
        epoch,
        step,
        losses,
        0,
        recoveries + 1,
        Optional.of(e.reason()),
        checkpoints,
        recoveryLog,
        resume);
  }

  private Job progressed(ProgressReported e, int maxPoints) {
    List<LossPoint> next = new ArrayList<>(losses);
    next.add(new LossPoint(e.step(), e.loss()));
    if (next.size() > maxPoints) {
      next = next.subList(next.size() - maxPoints, next.size());
    }
    return new Job(
        phase,
        spec,
        generation,
        token,
        joined,
        waiting,
        e.epoch(),
        e.step(),
        List.copyOf(next),
        e.samplesPerSecond(),
        recoveries,
        reason,
        checkpoints,
        recoveryLog,
        resume);
  }

  private Job ended(JobPhase end, Optional<String> why) {
    return new Job(
        end,
        spec,
        generation,
        token,
        joined,
        waiting,
        epoch,
        step,
        losses,
        0,
        recoveries,
        why,
        checkpoints,
        recoveryLog,
        resume);
  }

  private Job committed(CheckpointInfo c, int keep) {
    List<CheckpointInfo> next = new ArrayList<>(checkpoints);
    next.add(c);
    while (next.size() > keep) {
      next.removeFirst();
    }
    return new Job(
        phase,
        spec,
        generation,
        token,
        joined,
        waiting,
        epoch,
        step,
        losses,
        samplesPerSecond,
        recoveries,
        reason,
        List.copyOf(next),
        recoveryLog,
        resume);
  }

  private Job withRecoveries(List<RecoveryInfo> log, Resume r) {
    List<RecoveryInfo> next =
        log.size() > MAX_RECOVERIES_SHOWN
            ? log.subList(log.size() - MAX_RECOVERIES_SHOWN, log.size())
            : log;
    return new Job(
        phase,
        spec,
        generation,
        token,
        joined,
        waiting,
        epoch,
        step,
        losses,
        samplesPerSecond,
        recoveries,
        reason,
        checkpoints,
        List.copyOf(next),
        r);
  }

  private Job recoveryStarted(RecoveryStarted e) {
    List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
    next.add(new RecoveryInfo(0, e.reason(), e.at(), -1, -1, ""));
    return withRecoveries(next, resume);
  }

  private Job resumed(GenerationResumed e) {
    Optional<RecoveryInfo> open = recoveryInProgress();
    if (open.isEmpty() || open.get().generation() != 0) {
      return withRecoveries(recoveryLog, e.resume());
    }
    List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
    RecoveryInfo r = open.get();
    next.set(
        next.size() - 1,
        new RecoveryInfo(
            e.generation(), r.reason(), r.startedAt(), -1, e.resume().step(), e.resume().from()));
    return withRecoveries(next, e.resume());
  }

  private Job trainingResumed(TrainingResumed e) {
    Optional<RecoveryInfo> open = recoveryInProgress();
    if (open.isEmpty() || open.get().generation() != e.generation()) {
      return this;
    }
    List<RecoveryInfo> next = new ArrayList<>(recoveryLog);
    RecoveryInfo r = open.get();
    long ms = Math.max(0, Duration.between(r.startedAt(), e.at()).toMillis());
    next.set(
        next.size() - 1,
        new RecoveryInfo(
            r.generation(), r.reason(), r.startedAt(), ms, r.resumedFromStep(), r.resumedFrom()));
    return withRecoveries(next, resume);
  }
}
