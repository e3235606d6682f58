package dev.cohort.saga;

import dev.cohort.persistence.AskFailures;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The error every {@link Sagas} and {@link Projections} operation fails its {@code CompletionStage}
 * with. The {@link #code()} is stable and is the one the HTTP gateway returns; {@link #kind()}
 * decides the status.
 *
 * <p>Its codes are declared in {@link SagaError}, each with its kind; a failed ask is translated
 * once, by {@link #from} ({@link AskFailures}).
 */
public class SagaException extends CohortException {

  public SagaException(ErrorCode code, String message) {
    super(code, message);
  }

  public SagaException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  private static final AskFailures.Vocabulary<SagaException> FAILURES =
      new AskFailures.Vocabulary<>(
          SagaException.class, SagaException::new, SagaError.TIMEOUT, SagaError.UNAVAILABLE);

  /**
   * {@code failure} of an ask or a stage as a SagaException ({@link AskFailures}' one translation);
   * {@code what} names what did not answer, for the message.
   */
  public static SagaException from(Throwable failure, String what) {
    return FAILURES.translate(failure, what);
  }

  public static SagaException of(Rejection rejection) {
    return FAILURES.of(rejection);
  }
}
