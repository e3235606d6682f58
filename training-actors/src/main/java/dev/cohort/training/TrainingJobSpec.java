package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;

/**
 * A training job as submitted ({@code POST /v1/training/jobs}). The constructor validates every
 * field and names the broken rule ({@link TrainingException}, {@link
 * dev.cohort.persistence.ErrorKind#INVALID}), so a spec that exists is a valid spec; the gateway,
 * the embedded API and the coordinator entity all rely on that.
 *
 * @param name a label for people, 1–200 characters
 * @param model the MLP
 * @param datasetTopic the stream-log topic holding {@link SampleCodec} records
 * @param minWorkers the job runs (and continues after a loss) with at least this many workers
 * @param maxWorkers it never uses more; a rendezvous closes as soon as this many joined
 * @param backend auto, ring or nccl
 * @param epochs passes over the dataset, at least 1
 * @param batchSize samples per worker per step, at least 1
 * @param optimizer the optimizer
 * @param seed seeds initialisation and shuffling
 * @param checkpointEverySteps steps between checkpoints, at least 1
 * @param bucketCapMb gradient bucket size in MiB, at least 1
 * @param compute auto, java, openblas or cublas (see {@link Computes}); null (a spec written before
 *     the field existed) reads as auto; cublas needs a GPU backend (nccl or auto)
 */
public record TrainingJobSpec(
    String name,
    MlpSpec model,
    String datasetTopic,
    int minWorkers,
    int maxWorkers,
    Backend backend,
    int epochs,
    int batchSize,
    OptimizerSpec optimizer,
    long seed,
    int checkpointEverySteps,
    int bucketCapMb,
    ComputeKind compute)
    implements CohortSerializable {

  public TrainingJobSpec {
    compute = compute == null ? ComputeKind.AUTO : compute;
    require(
        !(compute == ComputeKind.CUBLAS && backend == Backend.RING),
        TrainingError.COMPUTE_UNAVAILABLE,
        "compute cublas keeps gradients on the GPU and needs backend nccl or auto, not ring");
    require(
        name != null && !name.isBlank() && name.length() <= 200,
        TrainingError.INVALID_NAME,
        "name must be 1 to 200 characters");
    require(model != null, TrainingError.INVALID_MODEL, "model is required");
    require(
        datasetTopic != null && !datasetTopic.isBlank(),
        TrainingError.INVALID_DATASET,
        "dataset.topic is required");
    require(
        minWorkers >= 1,
        TrainingError.INVALID_WORKERS,
        "workers.min must be at least 1, not " + minWorkers);
    require(
        maxWorkers >= minWorkers,
        TrainingError.INVALID_WORKERS,
        "workers.min (" + minWorkers + ") must not exceed workers.max (" + maxWorkers + ")");
    require(backend != null, TrainingError.UNKNOWN_BACKEND, "backend is required");
    require(epochs >= 1, TrainingError.INVALID_EPOCHS, "epochs must be at least 1, not " + epochs);
    require(
        batchSize >= 1,
        TrainingError.INVALID_BATCH_SIZE,
        "batchSize must be at least 1, not " + batchSize);
    require(optimizer != null, TrainingError.INVALID_OPTIMIZER, "optimizer is required");
    require(
        checkpointEverySteps >= 1,
        TrainingError.INVALID_CHECKPOINT_INTERVAL,
        "checkpointEverySteps must be at least 1, not " + checkpointEverySteps);
    require(
        bucketCapMb >= 1,
        TrainingError.INVALID_BUCKET_CAP,
        "bucketCapMb must be at least 1, not " + bucketCapMb);
  }

  /** A spec with {@code compute = auto}. */
  public TrainingJobSpec(
      String name,
      MlpSpec model,
      String datasetTopic,
      int minWorkers,
      int maxWorkers,
      Backend backend,
      int epochs,
      int batchSize,
      OptimizerSpec optimizer,
      long seed,
      int checkpointEverySteps,
      int bucketCapMb) {
    this(
        name,
        model,
        datasetTopic,
        minWorkers,
        maxWorkers,
        backend,
        epochs,
        batchSize,
        optimizer,
        seed,
        checkpointEverySteps,
        bucketCapMb,
        ComputeKind.AUTO);
  }

  private static void require(boolean ok, TrainingError error, String message) {
    if (!ok) {
      throw error.exception(message);
    }
  }
}
