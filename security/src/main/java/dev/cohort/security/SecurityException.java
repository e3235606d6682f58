package dev.cohort.security;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/** The typed error of the security API; its codes are declared in {@link SecurityError}. */
public final class SecurityException extends CohortException {

  public SecurityException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public SecurityException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static SecurityException of(Rejection rejection) {
    return new SecurityException(rejection.kind(), rejection.code(), rejection.message());
  }
}
