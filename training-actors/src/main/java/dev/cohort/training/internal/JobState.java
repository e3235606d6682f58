package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.JobPhase;
import dev.cohort.training.internal.TrainingCoordinator.Event;

/**
 * The stages of a training job's lifecycle as state types, so that the coordinator selects its
 * command handlers by stage ({@code forStateType}) and a command that makes no sense in a stage has
 * no handler there: {@link Pending} (no job submitted) → {@link Gathering} (rendezvous of the next
 * generation) ⇄ {@link Running} (a generation trains) → {@link Ended} (completed, failed or
 * cancelled; nothing changes any more).
 *
 * <p>Invariant: the stage always matches {@code job().phase()} ({@link #of} is the only way from a
 * {@link Job} to a stage), so replaying events through {@link #apply} lands in the same stage as
 * the live entity did.
 */
public sealed interface JobState extends CohortSerializable
    permits JobState.Pending, JobState.Gathering, JobState.Running, JobState.Ended {

  Job job();

  /** The stage a job is in. */
  static JobState of(Job job) {
    return switch (job.phase()) {
      case PENDING -> new Pending(job);
      case RENDEZVOUS -> new Gathering(job);
      case RUNNING -> new Running(job);
      case COMPLETED, FAILED, CANCELLED -> new Ended(job);
    };
  }

  static JobState empty() {
    return new Pending(Job.empty());
  }

  /** The stage after {@code event}; pure, so it is safe during replay. */
  default JobState apply(Event event, int maxLossPoints, int checkpointsKept) {
    return of(job().apply(event, maxLossPoints, checkpointsKept));
  }

  /** No job of this id was submitted: only {@code Submit} changes anything. */
  record Pending(Job job) implements JobState {}

  /** Workers gather for the next generation ({@link JobPhase#RENDEZVOUS}). */
  record Gathering(Job job) implements JobState {}

  /** A generation trains; its members report progress, checkpoints and failures. */
  record Running(Job job) implements JobState {}

  /** The job completed, failed or was cancelled. */
  record Ended(Job job) implements JobState {}
}
