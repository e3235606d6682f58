package dev.cohort.persistence;

/**
 * The typed exception of Cohort's embedded APIs: every service's errors carry a {@link ErrorKind}
 * and a stable code (the same code the HTTP gateway returns). Services subclass it to give callers
 * a type per service ({@code KvException}, …); callers that only care about the code use this.
 */
public class CohortException extends RuntimeException {
  private final ErrorKind kind;
  private final String code;

  public CohortException(ErrorKind kind, String code, String message) {
    super(message);
    this.kind = kind;
    this.code = code;
  }

  /** An error with a declared code (its kind comes with it). */
  public CohortException(ErrorCode code, String message) {
    this(code.kind(), code.code(), message);
  }

  public CohortException(ErrorKind kind, String code, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.code = code;
  }

  public ErrorKind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  /** Whether this error carries {@code expected}. */
  public boolean is(ErrorCode expected) {
    return expected.matches(this);
  }

  public Rejection toRejection() {
    return new Rejection(kind, code, getMessage());
  }
}
