package dev.cohort.kv;

import dev.cohort.persistence.AskFailures;
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

  public KvException(ErrorCode code, String message) {
    super(code, message);
  }

  public KvException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  private static final AskFailures.Vocabulary<KvException> FAILURES =
      new AskFailures.Vocabulary<>(
          KvException.class, KvException::new, KvError.TIMEOUT, KvError.UNAVAILABLE);

  /**
   * {@code failure} of an ask or a stage as a KvException ({@link AskFailures}' one translation);
   * {@code what} names what did not answer, for the message.
   */
  public static KvException from(Throwable failure, String what) {
    return FAILURES.translate(failure, what);
  }

  public static KvException of(Rejection rejection) {
    return FAILURES.of(rejection);
  }
}
