package dev.cohort.training;

import dev.cohort.training.internal.JobWaker;
import dev.cohort.training.internal.TrainingCoordinator;
import dev.cohort.training.internal.TrainingJobIndex;
import dev.cohort.training.internal.WorkerPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The embedded API of training jobs ({@code cohort.training()}): submit, get, list and cancel jobs,
 * each answered by the job's coordinator entity (sharded, event-sourced). {@link #start} also
 * offers this node's {@code cpu-slots} workers to every job in the cluster, and starts the waker
 * that resumes unfinished jobs after a coordinator's node died or the cluster restarted.
 *
 * <p>Errors ({@link TrainingError}): an invalid spec is refused when the {@link TrainingJobSpec} is
 * built; a second submit of the same id with another spec fails with {@code job_exists} (CONFLICT);
 * get and cancel of an unknown id fail with {@code job_not_found} (NOT_FOUND). Thread-safe.
 */
public final class TrainingJobs {
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final TrainingJobIndex.Client index;

  private TrainingJobs(ActorSystem<?> system, Duration askTimeout, TrainingJobIndex.Client index) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.index = index;
  }

  /**
   * Registers the coordinator entity type with sharding and starts this node's worker pool.
   *
   * @param datasets where workers on this node read dataset topics
   * @param askTimeout how long a submit, get or cancel waits for the coordinator
   */
  public static TrainingJobs start(
      ActorSystem<?> system,
      TrainingSettings settings,
      DatasetSource datasets,
      Duration askTimeout) {
    TrainingJobIndex.init(system, settings);
    TrainingJobIndex.Client index = TrainingJobIndex.client(system, askTimeout);
    TrainingCoordinator.init(system, settings, index);
    // System actors: typed systems with their own user guardian refuse top-level spawns.
    system.systemActorOf(
        WorkerPool.create(datasets, settings), "cohort-training-pool", Props.empty());
    system.systemActorOf(
        JobWaker.create(index, settings.wakeInterval()), "cohort-training-waker", Props.empty());
    return new TrainingJobs(system, askTimeout, index);
  }

  /**
   * Creates job {@code jobId}; idempotent for the same spec. The job is entered in the job index
   * first, so that no job runs that the waker cannot find after a restart.
   */
  public CompletionStage<JobStatus> submit(String jobId, TrainingJobSpec spec) {
    EntityRef<TrainingCoordinator.Command> ref = ref(jobId);
    return index
        .register(jobId, spec.name())
        .thenCompose(
            done ->
                ref.<TrainingCoordinator.Reply>ask(
                    replyTo -> new TrainingCoordinator.Submit(spec, replyTo), askTimeout))
        .thenApply(TrainingJobs::unwrap);
  }

  /**
   * Every job of the cluster, in submission order, with its current status (state, epoch, step,
   * workers). A job whose coordinator does not answer within the ask timeout fails the list.
   */
  public CompletionStage<List<JobStatus>> list() {
    return index
        .list(false)
        .thenCompose(
            entries -> {
              List<CompletableFuture<JobStatus>> statuses = new ArrayList<>();
              for (TrainingJobIndex.Entry e : entries) {
                // An entry whose submit failed has no job: get answers job_not_found, and it is
                // skipped.
                statuses.add(
                    get(e.jobId())
                        .toCompletableFuture()
                        .exceptionally(error -> notFound(error) ? null : rethrow(error)));
              }
              return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new))
                  .thenApply(
                      all ->
                          statuses.stream()
                              .map(CompletableFuture::join)
                              .filter(java.util.Objects::nonNull)
                              .toList());
            });
  }

  private static boolean notFound(Throwable error) {
    Throwable t =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return t instanceof TrainingException te && te.is(TrainingError.JOB_NOT_FOUND);
  }

  private static JobStatus rethrow(Throwable error) {
    throw error instanceof CompletionException ce ? ce : new CompletionException(error);
  }

  public CompletionStage<JobStatus> get(String jobId) {
    return ref(jobId)
        .<TrainingCoordinator.Reply>ask(TrainingCoordinator.Get::new, askTimeout)
        .thenApply(
            reply -> {
              JobStatus status = unwrap(reply);
              if (status.phase() == JobPhase.PENDING) {
                throw TrainingError.JOB_NOT_FOUND.exception("job '" + jobId + "' does not exist");
              }
              return status;
            });
  }

  /** Cancels the job; cancelling an ended job answers its status unchanged. */
  public CompletionStage<JobStatus> cancel(String jobId) {
    return ref(jobId)
        .<TrainingCoordinator.Reply>ask(TrainingCoordinator.Cancel::new, askTimeout)
        .thenApply(TrainingJobs::unwrap);
  }

  private EntityRef<TrainingCoordinator.Command> ref(String jobId) {
    if (jobId == null || jobId.isBlank() || jobId.length() > 200) {
      throw TrainingError.INVALID_JOB_ID.exception("a job id must be 1 to 200 characters");
    }
    return sharding.entityRefFor(TrainingCoordinator.ENTITY_TYPE_KEY, jobId);
  }

  private static JobStatus unwrap(TrainingCoordinator.Reply reply) {
    return switch (reply) {
      case TrainingCoordinator.Answer answer -> answer.status();
      case TrainingCoordinator.Rejected rejected ->
          throw TrainingException.of(rejected.rejection());
    };
  }
}
