package dev.cohort.training;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.internal.TrainingCoordinator;
import dev.cohort.training.internal.WorkerPool;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * The embedded API of training jobs ({@code cohort.training()}): submit, get and cancel jobs, each
 * answered by the job's coordinator entity (sharded, event-sourced). {@link #start} also offers
 * this node's {@code cpu-slots} workers to every job in the cluster.
 *
 * <p>Errors: an invalid spec is refused when the {@link TrainingJobSpec} is built; a second submit
 * of the same id with another spec fails with {@code job_exists} (CONFLICT); get and cancel of an
 * unknown id fail with {@code job_not_found} (NOT_FOUND). Thread-safe.
 */
public final class TrainingJobs {
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  private TrainingJobs(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
  }

  /**
   * Registers the coordinator entity type with sharding and starts this node's worker pool.
   *
   * @param datasets where workers on this node read dataset topics
   * @param askTimeout how long a submit, get or cancel waits for the coordinator
   */
  public static TrainingJobs start(
      ActorSystem<?> system, TrainingSettings settings, DatasetSource datasets, Duration askTimeout) {
    TrainingCoordinator.init(system, settings);
    // A system actor: typed systems with their own user guardian refuse top-level spawns.
    system.systemActorOf(WorkerPool.create(datasets, settings), "cohort-training-pool", Props.empty());
    return new TrainingJobs(system, askTimeout);
  }

  /** Creates job {@code jobId}; idempotent for the same spec. */
  public CompletionStage<JobStatus> submit(String jobId, TrainingJobSpec spec) {
    return ref(jobId)
        .<StatusReply<JobStatus>>ask(replyTo -> new TrainingCoordinator.Submit(spec, replyTo), askTimeout)
        .thenApply(reply -> unwrap(reply, ErrorKind.CONFLICT, "job_exists"));
  }

  public CompletionStage<JobStatus> get(String jobId) {
    return ref(jobId)
        .<StatusReply<JobStatus>>ask(TrainingCoordinator.Get::new, askTimeout)
        .thenApply(reply -> {
          JobStatus status = unwrap(reply, ErrorKind.NOT_FOUND, "job_not_found");
          if (status.phase() == JobPhase.PENDING) {
            throw new TrainingException(ErrorKind.NOT_FOUND, "job_not_found", "job '" + jobId + "' does not exist");
          }
          return status;
        });
  }

  /** Cancels the job; cancelling an ended job answers its status unchanged. */
  public CompletionStage<JobStatus> cancel(String jobId) {
    return ref(jobId)
        .<StatusReply<JobStatus>>ask(TrainingCoordinator.Cancel::new, askTimeout)
        .thenApply(reply -> unwrap(reply, ErrorKind.NOT_FOUND, "job_not_found"));
  }

  private EntityRef<TrainingCoordinator.Command> ref(String jobId) {
    if (jobId == null || jobId.isBlank() || jobId.length() > 200) {
      throw TrainingException.invalid("invalid_job_id", "a job id must be 1 to 200 characters");
    }
    return sharding.entityRefFor(TrainingCoordinator.ENTITY_TYPE_KEY, jobId);
  }

  private static JobStatus unwrap(StatusReply<JobStatus> reply, ErrorKind kind, String code) {
    if (reply.isError()) {
      throw new TrainingException(kind, code, reply.getError().getMessage());
    }
    return reply.getValue();
  }
}
