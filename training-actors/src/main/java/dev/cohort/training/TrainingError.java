package dev.cohort.training;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The error codes of training jobs, declared once with the kind (and so the HTTP status) each is
 * reported with. Callers compare these values, never code strings; the snake_case {@link #code()}
 * is what clients see and must never change once released. The collectives' own failures keep
 * their codes in {@link dev.cohort.training.collective.CollectiveException}.
 */
public enum TrainingError {
  /** A job of that id exists with another spec (a repeated submit of the same spec is answered). */
  JOB_EXISTS(ErrorKind.CONFLICT, "job_exists"),
  /** No job of that id was submitted. */
  JOB_NOT_FOUND(ErrorKind.NOT_FOUND, "job_not_found"),
  /** A job id is empty or longer than 200 characters. */
  INVALID_JOB_ID(ErrorKind.INVALID, "invalid_job_id"),
  /** A worker offered itself to a job that already ended. */
  JOB_ENDED(ErrorKind.CONFLICT, "job_ended"),
  /** A worker offered itself to a job that already has {@code workers.max} workers. */
  JOB_FULL(ErrorKind.CONFLICT, "job_full"),
  /** The job asks for a backend its workers cannot run (nccl without a GPU). */
  BACKEND_UNAVAILABLE(ErrorKind.INVALID, "backend_unavailable"),
  INVALID_NAME(ErrorKind.INVALID, "invalid_name"),
  INVALID_MODEL(ErrorKind.INVALID, "invalid_model"),
  INVALID_DATASET(ErrorKind.INVALID, "invalid_dataset"),
  INVALID_WORKERS(ErrorKind.INVALID, "invalid_workers"),
  UNKNOWN_BACKEND(ErrorKind.INVALID, "unknown_backend"),
  INVALID_EPOCHS(ErrorKind.INVALID, "invalid_epochs"),
  INVALID_BATCH_SIZE(ErrorKind.INVALID, "invalid_batch_size"),
  INVALID_OPTIMIZER(ErrorKind.INVALID, "invalid_optimizer"),
  INVALID_CHECKPOINT_INTERVAL(ErrorKind.INVALID, "invalid_checkpoint_interval"),
  INVALID_BUCKET_CAP(ErrorKind.INVALID, "invalid_bucket_cap"),
  /** A label outside the model's classes. */
  INVALID_LABEL(ErrorKind.INVALID, "invalid_label"),
  /** The dataset's features or classes do not fit the model. */
  DATASET_MISMATCH(ErrorKind.INVALID, "dataset_mismatch"),
  /** The dataset topic does not exist. */
  DATASET_NOT_FOUND(ErrorKind.NOT_FOUND, "dataset_not_found"),
  /** A dataset record breaks the {@link SampleCodec} format. */
  MALFORMED_RECORD(ErrorKind.INVALID, "malformed_record"),
  CHECKPOINT_TOO_LARGE(ErrorKind.INVALID, "checkpoint_too_large"),
  /** A stored checkpoint does not fit the job's model (sizes or CRC). */
  CHECKPOINT_MISMATCH(ErrorKind.INVALID, "checkpoint_mismatch");

  private final ErrorKind kind;
  private final String code;

  TrainingError(ErrorKind kind, String code) {
    this.kind = kind;
    this.code = code;
  }

  public ErrorKind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  /** The reply an entity answers with. */
  public Rejection rejection(String message) {
    return new Rejection(kind, code, message);
  }

  /** The exception the embedded API fails with. */
  public TrainingException exception(String message) {
    return new TrainingException(this, message);
  }

  /** Whether {@code e} carries this error. */
  public boolean matches(TrainingException e) {
    return e.code().equals(code);
  }
}
