package dev.cohort.training;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;

/**
 * The typed error of the training module's embedded API: bad models, malformed dataset records,
 * unusable backends and failed collectives. Codes are stable snake_case strings the gateway
 * returns unchanged.
 */
public class TrainingException extends CohortException {

  public TrainingException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public TrainingException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static TrainingException invalid(String code, String message) {
    return new TrainingException(ErrorKind.INVALID, code, message);
  }
}
