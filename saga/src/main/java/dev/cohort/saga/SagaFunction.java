package dev.cohort.saga;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The code of a java step, registered by name on every node with {@link Sagas#registerFunction}. It
 * answers the step's output: a map of JSON-like values (maps, lists, strings, numbers, booleans,
 * null) merged into the context. A failed stage fails the attempt; a {@link StepFailure} with
 * {@code retryable == false} fails the step for good.
 *
 * <p>It may run more than once for one step (a retry, or again after a crash): make its effects
 * idempotent with {@link StepContext#idempotencyKey()}.
 */
@FunctionalInterface
public interface SagaFunction {
  CompletionStage<Map<String, Object>> apply(StepContext context);
}
