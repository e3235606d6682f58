package dev.cohort.training;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The typed error of the training module's embedded API: bad jobs and models, malformed dataset
 * records, unusable backends and failed collectives. Job, spec and dataset codes are declared in
 * {@link TrainingError}; the gateway returns the code unchanged.
 */
public class TrainingException extends CohortException {

  public TrainingException(TrainingError error, String message) {
    super(error, message);
  }

  /** For the collectives' codes ({@link dev.cohort.training.collective.CollectiveException}). */
  protected TrainingException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  protected TrainingException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  /** A coordinator's rejection, thrown where the embedded API's caller sees it. */
  public static TrainingException of(Rejection rejection) {
    return new TrainingException(rejection.kind(), rejection.code(), rejection.message());
  }
}
