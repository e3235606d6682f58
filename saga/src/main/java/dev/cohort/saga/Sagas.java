package dev.cohort.saga;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Cohort's durable sagas, embedded: versioned definitions, and instances that run their steps in
 * order and compensate completed steps in reverse order when a step fails for good. Each instance
 * is a sharded, event-sourced entity; every attempt, result and error is an event, so an instance
 * continues after a crash from its last event. Obtain one with {@link SagaService#start}.
 *
 * <p>Every operation returns a {@link CompletionStage} that fails with a {@link SagaException}
 * carrying a stable code; a failed operation changes nothing. Thread-safe.
 */
public interface Sagas {

  // ---- java step functions (node-local) ----

  /**
   * Registers the function java steps name {@code name} on this node. Register the same functions
   * on every node, before sagas that use them start (or recover) there. Registering a name again
   * replaces the function.
   */
  void registerFunction(String name, SagaFunction function);

  /**
   * Registers a blocking function, run on Pekko's blocking-IO dispatcher (never on an actor
   * thread).
   */
  void registerBlockingFunction(String name, Function<StepContext, Map<String, Object>> function);

  // ---- definitions ----

  /**
   * Validates and stores a definition as the next version of its name (node defaults filled in for
   * retry policies and timeouts left unset). Storing one equal to the latest version returns that
   * version unchanged. Answers the stored definition with its version.
   */
  CompletionStage<SagaDefinition> define(SagaDefinition definition);

  /** {@link #define} of {@link SagaDefinition#fromJson(String, String)}. */
  CompletionStage<SagaDefinition> defineJson(String name, String json);

  /** The latest version of a definition, or {@code definition_not_found}. */
  CompletionStage<SagaDefinition> definition(String name);

  /** One version of a definition, or {@code definition_not_found}. */
  CompletionStage<SagaDefinition> definition(String name, int version);

  /** The latest version of every definition, by name. */
  CompletionStage<List<SagaDefinition>> definitions();

  /**
   * Deletes every version of a definition; running instances keep their copy. Version numbers are
   * never reused by a later define of the same name. {@code definition_not_found}.
   */
  CompletionStage<Done> deleteDefinition(String name);

  // ---- instances ----

  /**
   * Starts an instance of the latest version of {@code definition} with {@code input} (a JSON-like
   * map) under {@code id} (null: a random UUID). Idempotent by id: when the id exists the existing
   * instance is answered with {@code created == false} and nothing runs again ({@code
   * instance_exists} when it belongs to another definition).
   */
  CompletionStage<StartResult> start(String definition, String id, Map<String, ?> input);

  /** {@link #start} with the input as JSON object text. */
  CompletionStage<StartResult> startJson(String definition, String id, String inputJson);

  /** The instance, or {@code instance_not_found}. */
  CompletionStage<SagaInstance> get(String id);

  /**
   * Instances, optionally of one definition and/or in one state, sorted by id (at most {@code
   * cohort.saga.list-max-results}).
   */
  CompletionStage<List<SagaSummary>> list(Optional<String> definition, Optional<SagaState> state);

  /**
   * Resumes compensating an instance in {@code COMPENSATION_FAILED} (the failed compensation gets a
   * fresh retry budget); {@code invalid_state} otherwise.
   */
  CompletionStage<SagaInstance> retry(String id);

  /**
   * Marks an instance in {@code COMPENSATION_FAILED} as resolved by hand, with the operator's
   * reason; {@code invalid_state} otherwise.
   */
  CompletionStage<SagaInstance> resolve(String id, String reason);

  /**
   * Every change of every instance in the cluster from now on, as it is recorded (at most once: a
   * slow consumer drops the oldest buffered updates).
   */
  Source<SagaUpdate, NotUsed> updates();

  // ---- projections ----

  /** CQRS projections: read models in kv keyspaces built from topics (same node service). */
  Projections projections();
}
