package dev.cohort.persistence;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one translation of a failed ask into a service's typed exception, which every service's
 * embedded API applies before a failure reaches its caller:
 *
 * <ul>
 *   <li>the service's own exception passes through unchanged;
 *   <li>another {@link CohortException} (from a lower layer or another service) keeps its kind,
 *       code and message and becomes the service's type;
 *   <li>a timeout (an ask's or any {@link TimeoutException}) becomes {@link ErrorKind#TIMEOUT}: the
 *       outcome is unknown, the write may have happened;
 *   <li>anything else becomes {@link ErrorKind#UNAVAILABLE}.
 * </ul>
 */
public final class AskFailures {
  private AskFailures() {}

  /** How a service builds its exception type (its four-argument constructor). */
  @FunctionalInterface
  public interface Factory<E extends CohortException> {
    E create(ErrorKind kind, String code, String message, Throwable cause);
  }

  /**
   * The vocabulary a service answers with when an ask fails without a business error: its code for
   * a timeout and for an unavailable service, and the words naming what did not answer.
   */
  public record Vocabulary<E extends CohortException>(
      Class<E> type, Factory<E> factory, ErrorCode timeout, ErrorCode unavailable) {

    public E translate(Throwable failure, String what) {
      return AskFailures.translate(failure, this, what);
    }

    /** The service's exception for a rejection an entity answered with. */
    public E of(Rejection rejection) {
      return factory.create(rejection.kind(), rejection.code(), rejection.message(), null);
    }
  }

  /**
   * {@code failure} without the {@link CompletionException} and {@link ExecutionException}
   * wrappers.
   */
  public static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * The typed exception for {@code failure}; {@code what} names what was asked, for the message.
   */
  public static <E extends CohortException> E translate(
      Throwable failure, Vocabulary<E> vocabulary, String what) {
    Throwable cause = unwrap(failure);
    if (vocabulary.type().isInstance(cause)) {
      return vocabulary.type().cast(cause);
    }
    if (cause instanceof CohortException e) {
      return vocabulary.factory().create(e.kind(), e.code(), e.getMessage(), e);
    }
    if (cause instanceof TimeoutException) {
      return vocabulary
          .factory()
          .create(
              vocabulary.timeout().kind(),
              vocabulary.timeout().code(),
              "no answer from " + what + " in time; the outcome is unknown",
              cause);
    }
    return vocabulary
        .factory()
        .create(
            vocabulary.unavailable().kind(),
            vocabulary.unavailable().code(),
            what + " cannot answer: " + cause,
            cause);
  }
}
