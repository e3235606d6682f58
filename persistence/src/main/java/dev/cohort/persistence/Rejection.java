package dev.cohort.persistence;

/**
 * A business error sent as a reply: entities answer a command they refuse with a rejection instead
 * of failing, so that a bad request never crashes an actor and crosses the wire like any reply.
 *
 * @param kind the error class, which decides the HTTP status
 * @param code a stable snake_case code clients can match on, such as {@code key_not_found}
 * @param message a sentence for people that names the field, the rule or the resource
 */
public record Rejection(ErrorKind kind, String code, String message) implements CohortSerializable {

  /** A rejection with a declared code (its kind comes with it). */
  public static Rejection of(ErrorCode code, String message) {
    return new Rejection(code.kind(), code.code(), message);
  }

  /** Whether this rejection carries {@code expected}. */
  public boolean is(ErrorCode expected) {
    return expected.matches(this);
  }

  public static Rejection invalid(String code, String message) {
    return new Rejection(ErrorKind.INVALID, code, message);
  }

  public static Rejection notFound(String code, String message) {
    return new Rejection(ErrorKind.NOT_FOUND, code, message);
  }

  public static Rejection conflict(String code, String message) {
    return new Rejection(ErrorKind.CONFLICT, code, message);
  }

  public CohortException toException() {
    return new CohortException(kind, code, message);
  }
}
