package dev.cohort.training;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/**
 * The error codes of training jobs, declared once with the kind (and so the HTTP status) each is
 * reported with. Callers compare these values ({@link #matches}), never code strings; the
 * snake_case {@link #code()} is what clients see: never rename a constant once released. The
 * collectives' own failures keep their codes in {@link
 * dev.cohort.training.collective.CollectiveException}.
 */
public enum TrainingError implements ErrorCode {
  /** A job of that id exists with another spec (a repeated submit of the same spec is answered). */
  JOB_EXISTS(ErrorKind.CONFLICT),
  /** No job of that id was submitted. */
  JOB_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A job id is empty or longer than 200 characters. */
  INVALID_JOB_ID(ErrorKind.INVALID),
  /** A worker offered itself to a job that already ended. */
  JOB_ENDED(ErrorKind.CONFLICT),
  /** A worker offered itself to a job that already has {@code workers.max} workers. */
  JOB_FULL(ErrorKind.CONFLICT),
  /** The job asks for a backend its workers cannot run (nccl without a GPU). */
  BACKEND_UNAVAILABLE(ErrorKind.INVALID),
  INVALID_NAME(ErrorKind.INVALID),
  INVALID_MODEL(ErrorKind.INVALID),
  INVALID_DATASET(ErrorKind.INVALID),
  INVALID_WORKERS(ErrorKind.INVALID),
  UNKNOWN_BACKEND(ErrorKind.INVALID),
  INVALID_EPOCHS(ErrorKind.INVALID),
  INVALID_BATCH_SIZE(ErrorKind.INVALID),
  INVALID_OPTIMIZER(ErrorKind.INVALID),
  INVALID_CHECKPOINT_INTERVAL(ErrorKind.INVALID),
  INVALID_BUCKET_CAP(ErrorKind.INVALID),
  /** A label outside the model's classes. */
  INVALID_LABEL(ErrorKind.INVALID),
  /** The dataset's features or classes do not fit the model. */
  DATASET_MISMATCH(ErrorKind.INVALID),
  /** The dataset topic does not exist. */
  DATASET_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A dataset record breaks the {@link SampleCodec} format. */
  MALFORMED_RECORD(ErrorKind.INVALID),
  CHECKPOINT_TOO_LARGE(ErrorKind.INVALID),
  /** A stored checkpoint does not fit the job's model (sizes or CRC). */
  CHECKPOINT_MISMATCH(ErrorKind.INVALID),
  /** A job's {@code compute} is none of auto, java, openblas, cublas. */
  UNKNOWN_COMPUTE(ErrorKind.INVALID),
  /** The job asks for a compute its workers cannot run (cublas without a GPU). */
  COMPUTE_UNAVAILABLE(ErrorKind.INVALID);

  private final ErrorKind kind;

  TrainingError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }

  /** The exception the embedded API fails with. */
  public TrainingException exception(String message) {
    return new TrainingException(this, message);
  }
}
