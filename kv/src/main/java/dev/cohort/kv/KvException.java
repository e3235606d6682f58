package dev.cohort.kv;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The error every {@link Kv} operation fails its {@code CompletionStage} with. The {@link #code()}
 * is stable and is the one the HTTP gateway returns; {@link #kind()} decides the HTTP status.
 *
 * <p>Its codes are declared in {@link KvError}, each with its kind.
 */
public class KvException extends CohortException {

  public KvException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public KvException(ErrorCode code, String message) {
    super(code, message);
  }

  public KvException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static KvException of(Rejection rejection) {
    return new KvException(rejection.kind(), rejection.code(), rejection.message());
  }

  public static KvException invalid(String code, String message) {
    return new KvException(ErrorKind.INVALID, code, message);
  }

  public static KvException notFound(String code, String message) {
    return new KvException(ErrorKind.NOT_FOUND, code, message);
  }

  public static KvException conflict(String code, String message) {
    return new KvException(ErrorKind.CONFLICT, code, message);
  }

  public static KvException tooLarge(String code, String message) {
    return new KvException(ErrorKind.TOO_LARGE, code, message);
  }
}
