package dev.cohort.security;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/** The security service's error codes, the same over HTTP, Kafka, etcd and the embedded API. */
public enum SecurityError implements ErrorCode {
  /** No credentials, or a token that is unknown, expired or revoked. */
  UNAUTHENTICATED(ErrorKind.UNAUTHENTICATED),
  /** Wrong user name or password (the message never says which). */
  AUTHENTICATION_FAILED(ErrorKind.UNAUTHENTICATED),
  /** Authenticated, but no role of the user allows the request. */
  PERMISSION_DENIED(ErrorKind.FORBIDDEN),
  /** Too many failed password attempts for this user or from this address. */
  TOO_MANY_ATTEMPTS(ErrorKind.TOO_MANY_REQUESTS),
  /** A user or role name breaks the naming rule. */
  INVALID_NAME(ErrorKind.INVALID),
  /** A password is too short or too long. */
  INVALID_PASSWORD(ErrorKind.INVALID),
  /** A permission's resource, name, key prefix or access is malformed. */
  INVALID_PERMISSION(ErrorKind.INVALID),
  /** A token lifetime outside 1 s .. {@code cohort.security.max-token-ttl}. */
  INVALID_TTL(ErrorKind.INVALID),
  USER_NOT_FOUND(ErrorKind.NOT_FOUND),
  ROLE_NOT_FOUND(ErrorKind.NOT_FOUND),
  USER_EXISTS(ErrorKind.CONFLICT),
  ROLE_EXISTS(ErrorKind.CONFLICT),
  /** The built-in root role cannot be changed or deleted. */
  ROOT_ROLE_BUILT_IN(ErrorKind.CONFLICT),
  /** Auth cannot be enabled, or stay enabled, without a user holding the root role. */
  ROOT_USER_REQUIRED(ErrorKind.CONFLICT),
  /** The security registry did not answer in time; the outcome is unknown. */
  TIMEOUT(ErrorKind.TIMEOUT),
  /** The security registry cannot answer now. */
  NOT_READY(ErrorKind.UNAVAILABLE);

  private final ErrorKind kind;

  SecurityError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }

  public SecurityException exception(String message) {
    return new SecurityException(kind, code(), message);
  }
}
