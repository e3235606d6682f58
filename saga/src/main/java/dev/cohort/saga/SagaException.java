package dev.cohort.saga;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The error every {@link Sagas} operation fails its {@code CompletionStage} with. The {@link
 * #code()} is stable and is the one the HTTP gateway returns; {@link #kind()} decides the status.
 *
 * <p>Codes: {@code invalid_definition} (400, the message names the step and the problem), {@code
 * definition_not_found} (404), {@code invalid_input} (400, input is not a JSON object or an id is
 * malformed), {@code context_too_large} (413, input over {@code cohort.saga.max-context-bytes}),
 * {@code unknown_function} (400, a java step names a function not registered on this node), {@code
 * instance_not_found} (404), {@code instance_exists} (409, the id was started with another
 * definition), {@code invalid_state} (409, retry or resolve in a state that does not allow it),
 * {@code timeout} (504, the outcome is unknown), {@code unavailable} (503).
 */
public class SagaException extends CohortException {

  public SagaException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public SagaException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static SagaException of(Rejection rejection) {
    return new SagaException(rejection.kind(), rejection.code(), rejection.message());
  }

  public static SagaException invalidDefinition(String message) {
    return new SagaException(ErrorKind.INVALID, "invalid_definition", message);
  }

  public static SagaException invalid(String code, String message) {
    return new SagaException(ErrorKind.INVALID, code, message);
  }

  public static SagaException notFound(String code, String message) {
    return new SagaException(ErrorKind.NOT_FOUND, code, message);
  }
}
