package dev.cohort.saga;

import java.util.Map;

/**
 * What a java step function receives.
 *
 * @param sagaId the instance id
 * @param definition the definition name
 * @param step the step name
 * @param phase whether the action or the compensation runs
 * @param attempt the attempt number (from 1)
 * @param idempotencyKey {@code <sagaId>:<step>:<action|compensation>}, the same on every attempt
 *     and after a crash: pass it to anything with side effects
 * @param context the saga context (read-only maps and lists, as {@link SagaInstance#contextMap})
 */
public record StepContext(
    String sagaId,
    String definition,
    String step,
    StepPhase phase,
    int attempt,
    String idempotencyKey,
    Map<String, Object> context) {

  /** The start input. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> input() {
    Object input = context.get("input");
    return input instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  /** A top-level context value, or null. */
  public Object get(String key) {
    return context.get(key);
  }
}
