package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.saga.internal.JsonValues;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A saga instance as its entity holds it: state, context and the step history.
 *
 * @param id the instance id
 * @param definition the definition's name
 * @param version the definition version the instance started with (and keeps)
 * @param state where the instance is
 * @param input the start input, JSON object text
 * @param context the context, JSON object text: {@code sagaId}, {@code input}, {@code
 *     steps.<name>.output} and the top-level fields merged from step outputs
 * @param steps every step of the definition in order, with attempts
 * @param startedAt when the instance started
 * @param updatedAt when its last event was recorded
 * @param deadline when the whole-saga deadline passes, if it has one
 * @param error why the instance compensates or stopped (the failing step's last error)
 * @param resolution the operator's reason, once resolved
 */
public record SagaInstance(
    String id,
    String definition,
    int version,
    SagaState state,
    String input,
    String context,
    List<StepRecord> steps,
    Instant startedAt,
    Instant updatedAt,
    Optional<Instant> deadline,
    Optional<String> error,
    Optional<String> resolution)
    implements CohortSerializable {

  public SagaInstance {
    steps = steps == null ? List.of() : List.copyOf(steps);
    deadline = deadline == null ? Optional.empty() : deadline;
    error = error == null ? Optional.empty() : error;
    resolution = resolution == null ? Optional.empty() : resolution;
  }

  /** The context parsed into maps, lists, strings, numbers, booleans and nulls. */
  public Map<String, Object> contextMap() {
    return JsonValues.parseObject(context);
  }

  /** The input parsed into maps, lists, strings, numbers, booleans and nulls. */
  public Map<String, Object> inputMap() {
    return JsonValues.parseObject(input);
  }

  public StepRecord step(String name) {
    return steps.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no step " + name));
  }

  /** This instance as JSON (input, context and outputs embedded), as the gateway returns it. */
  public String toJson() {
    return JsonViews.instance(this).toString();
  }
}
