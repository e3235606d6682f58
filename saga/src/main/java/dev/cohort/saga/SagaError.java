package dev.cohort.saga;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/**
 * Every error code of the saga service (sagas and projections), declared once with its kind (which
 * decides the HTTP status). Entities reply with {@link #rejection}, the embedded API throws {@link
 * #exception}, and checks compare constants ({@code e.is(SagaError.INSTANCE_NOT_FOUND)}), never
 * spellings. Codes are stable: clients match on them.
 *
 * <p>One code has two statuses: {@code invalid_definition} is 400 for a definition that breaks a
 * rule ({@link #INVALID_DEFINITION}) and 413 for one over a size limit ({@link
 * #DEFINITION_TOO_LARGE}, which is spelt {@code invalid_definition} too, as released).
 */
public enum SagaError implements ErrorCode {
  /** A saga definition breaks a rule; the message names the step and the problem. */
  INVALID_DEFINITION(ErrorKind.INVALID),
  /**
   * A saga definition over {@code cohort.saga.max-definition-bytes}; its code is {@code
   * invalid_definition} (with status 413), as released.
   */
  DEFINITION_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** No such saga definition (or version). */
  DEFINITION_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A start's input is not a JSON object, an instance id is malformed, or a reason is missing. */
  INVALID_INPUT(ErrorKind.INVALID),
  /** A start's input is over {@code cohort.saga.max-context-bytes}. */
  CONTEXT_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** A java step names a function not registered on this node. */
  UNKNOWN_FUNCTION(ErrorKind.INVALID),
  /** No such saga instance. */
  INSTANCE_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** The instance id was started with another definition. */
  INSTANCE_EXISTS(ErrorKind.CONFLICT),
  /** Retry, resolve, stop or resume in a state that does not allow it. */
  INVALID_STATE(ErrorKind.CONFLICT),
  /** An HTTP request breaks a rule the message names (a bad query parameter). */
  INVALID_REQUEST(ErrorKind.INVALID),
  /** A projection definition is malformed: unknown mode or field, bad name or key rule. */
  INVALID_PROJECTION(ErrorKind.INVALID),
  /** A projection's sink keyspace name breaks kv's naming rule (kv's spelling). */
  INVALID_KEYSPACE_NAME(ErrorKind.INVALID),
  /** A projection's source topic does not exist. */
  UNKNOWN_TOPIC(ErrorKind.INVALID),
  /** A projection's sink keyspace exists but is not a CP keyspace. */
  INVALID_SINK(ErrorKind.INVALID),
  /** The projection exists with another definition. */
  PROJECTION_EXISTS(ErrorKind.CONFLICT),
  /** No such projection. */
  PROJECTION_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** No answer within the deadline; the outcome is unknown. */
  TIMEOUT(ErrorKind.TIMEOUT),
  /** The service (or the kv or log service it needs) cannot answer now. */
  UNAVAILABLE(ErrorKind.UNAVAILABLE);

  private final ErrorKind kind;

  SagaError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public String code() {
    return this == DEFINITION_TOO_LARGE ? INVALID_DEFINITION.code() : ErrorCode.super.code();
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }

  /** The typed exception of the embedded API. */
  public SagaException exception(String message) {
    return new SagaException(this, message);
  }
}
