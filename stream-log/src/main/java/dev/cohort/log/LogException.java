package dev.cohort.log;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The typed error of the stream-log API. Its codes are declared in {@link LogError}, each with its
 * kind; they are the ones the HTTP gateway returns too.
 */
public final class LogException extends CohortException {

  public LogException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public LogException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static LogException of(Rejection rejection) {
    return new LogException(rejection.kind(), rejection.code(), rejection.message());
  }

  static LogException invalid(String code, String message) {
    return new LogException(ErrorKind.INVALID, code, message);
  }
}
