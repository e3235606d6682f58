package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Instant;
import java.util.Optional;

/**
 * One change of an instance, as {@link Sagas#updates} streams it and as the topic {@code
 * _cohort.saga-events} carries it (JSON, keyed by the instance id).
 *
 * @param id the instance id
 * @param definition the definition name
 * @param version the definition version
 * @param event {@code started}, {@code step_started}, {@code step_succeeded}, {@code
 *     step_attempt_failed} (another attempt follows), {@code step_failed} (for good), {@code
 *     compensation_started}, {@code compensation_step_started}, {@code compensation_succeeded},
 *     {@code compensation_attempt_failed}, {@code completed}, {@code compensated}, {@code
 *     compensation_failed}, {@code retried}, {@code resolved}
 * @param state the instance's state after the change
 * @param step the step concerned, if any
 * @param attempt the attempt number concerned, or 0
 * @param error the error, for failures
 * @param at when the change was recorded
 */
public record SagaUpdate(
    String id,
    String definition,
    int version,
    String event,
    SagaState state,
    Optional<String> step,
    int attempt,
    Optional<String> error,
    Instant at)
    implements CohortSerializable {

  public SagaUpdate {
    step = step == null ? Optional.empty() : step;
    error = error == null ? Optional.empty() : error;
  }

  /** This update as JSON, as the events topic carries it. */
  public String toJson() {
    return JsonViews.update(this).toString();
  }
}
