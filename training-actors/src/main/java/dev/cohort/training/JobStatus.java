package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;
import java.util.Optional;

/**
 * What {@code GET /v1/training/jobs/{id}} shows.
 *
 * @param jobId the job's id
 * @param phase its state
 * @param spec the submitted spec (empty for an unknown job)
 * @param generation the current (or last) generation number, 0 before the first
 * @param members worker ids of the running generation, rank order (or gathered so far)
 * @param workers the members again, rank order, each with the backend its generation runs (or will
 *     run) on and its device ("cpu" or "cuda:N")
 * @param waiting workers that joined while a generation ran
 * @param epoch epoch of the last reported step
 * @param step global step of the last reported step
 * @param losses the most recent (step, loss) points, oldest first
 * @param samplesPerSecond all ranks' samples per second in the current generation
 * @param recoveries generations aborted by a lost or failed worker
 * @param reason why the job failed, or why the last generation was aborted
 * @param recoveryLog the most recent recoveries, oldest first
 * @param checkpoint the latest committed checkpoint, if any
 */
public record JobStatus(
    String jobId,
    JobPhase phase,
    Optional<TrainingJobSpec> spec,
    long generation,
    List<String> members,
    List<Worker> workers,
    List<String> waiting,
    int epoch,
    long step,
    List<LossPoint> losses,
    double samplesPerSecond,
    int recoveries,
    Optional<String> reason,
    List<RecoveryInfo> recoveryLog,
    Optional<CheckpointInfo> checkpoint)
    implements CohortSerializable {

  /**
   * A member of the job's current (or last) generation: its backend (ring, nccl), device (cpu,
   * cuda:N) and compute (java, openblas, cublas).
   */
  public record Worker(String workerId, String backend, String device, String compute)
      implements CohortSerializable {}

  /** One point of the loss curve. */
  public record LossPoint(long step, double loss) implements CohortSerializable {}
}
