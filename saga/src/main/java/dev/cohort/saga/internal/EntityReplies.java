package dev.cohort.saga.internal;

import dev.cohort.persistence.Rejection;
import dev.cohort.saga.SagaException;

/**
 * How the saga service reads its entities' answers: a failed ask goes through {@link
 * SagaException#from} (the one ask-failure translation), a refusal becomes the typed exception of
 * its rejection, anything else is the answer. Stateless.
 */
final class EntityReplies {
  private EntityReplies() {}

  /** The reply a saga entity refuses a command with; each entity's {@code Refused} is one. */
  interface Refusal {
    Rejection rejection();
  }

  /**
   * {@code reply}, or the failure it stands for; {@code what} names the service that was asked.
   * Meant for {@code CompletionStage.handle}.
   */
  static <R> R orThrow(R reply, Throwable failure, String what) {
    if (failure != null) {
      throw SagaException.from(failure, what);
    }
    if (reply instanceof Refusal refused) {
      throw SagaException.of(refused.rejection());
    }
    return reply;
  }
}
