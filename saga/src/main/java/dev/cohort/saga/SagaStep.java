package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Duration;
import java.util.Optional;

/**
 * One named step of a saga: an action and the compensation that undoes it (the source document's
 * {@code SagaStep(name, action, compensating_action)}).
 *
 * @param name unique within the definition: letters, digits, {@code _ - .}, 1 to 64 characters
 * @param action what the step does
 * @param compensation what undoes a completed action; required for every step but the last unless
 *     {@code noCompensation} says there is nothing to undo
 * @param retry retries of the action (null: the node's {@code cohort.saga.default-retry})
 * @param compensationRetry retries of the compensation (null: same as {@code retry})
 * @param timeoutMs how long one attempt may take (0: {@code cohort.saga.default-step-timeout})
 * @param noCompensation the step changes nothing that needs undoing (a check, a read)
 */
public record SagaStep(
    String name,
    StepAction action,
    Optional<StepAction> compensation,
    RetryPolicy retry,
    RetryPolicy compensationRetry,
    long timeoutMs,
    boolean noCompensation)
    implements CohortSerializable {

  public SagaStep {
    compensation = compensation == null ? Optional.empty() : compensation;
  }

  /** A step with an action and its compensation, default retries and timeout. */
  public static SagaStep of(String name, StepAction action, StepAction compensation) {
    return new SagaStep(name, action, Optional.ofNullable(compensation), null, null, 0, false);
  }

  /** A step with nothing to undo. */
  public static SagaStep withoutCompensation(String name, StepAction action) {
    return new SagaStep(name, action, Optional.empty(), null, null, 0, true);
  }

  public SagaStep withRetry(RetryPolicy policy) {
    return new SagaStep(
        name, action, compensation, policy, compensationRetry, timeoutMs, noCompensation);
  }

  public SagaStep withCompensationRetry(RetryPolicy policy) {
    return new SagaStep(name, action, compensation, retry, policy, timeoutMs, noCompensation);
  }

  public SagaStep withTimeout(Duration timeout) {
    return new SagaStep(
        name, action, compensation, retry, compensationRetry, timeout.toMillis(), noCompensation);
  }

  /** The retry policy of the action or of the compensation. */
  public RetryPolicy retryFor(boolean compensating) {
    return compensating && compensationRetry != null ? compensationRetry : retry;
  }
}
