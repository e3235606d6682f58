package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A saga: named steps run in order, each undone in reverse order by its compensation when a later
 * step fails for good. Built with {@link #builder} (the source document's {@code
 * SagaOrchestrator([SagaStep(...), ...])}) or read from JSON with {@link #fromJson}.
 *
 * <p>Definitions are versioned when stored ({@link Sagas#define}): {@code version} is 0 until then.
 * An instance keeps a copy of the version it started with.
 *
 * @param name letters, digits, {@code _ - .}, 1 to 64 characters
 * @param version assigned by {@link Sagas#define}, from 1
 * @param steps at least one, names unique
 * @param deadlineMs the whole saga's deadline from its start; when it passes while steps still run,
 *     the saga compensates. 0: no deadline
 */
public record SagaDefinition(String name, int version, List<SagaStep> steps, long deadlineMs)
    implements CohortSerializable {

  public SagaDefinition {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  /** A definition of these steps, in order (validate it with {@link #validate}). */
  public static SagaDefinition of(String name, List<SagaStep> steps) {
    return new SagaDefinition(name, 0, steps, 0);
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Reads a definition in the JSON format of {@code saga/README.md} ({@code {"steps":[...],
   * "deadlineMs":...}}), named {@code name} (a {@code "name"} field, when present, must agree).
   * Throws {@link SagaException} {@code invalid_definition} naming the first problem.
   */
  public static SagaDefinition fromJson(String name, String json) {
    SagaDefinition definition = DefinitionJson.parse(name, json);
    definition.validate();
    return definition;
  }

  /** {@link #fromJson(String, String)} with the name taken from the {@code "name"} field. */
  public static SagaDefinition fromJson(String json) {
    return fromJson(null, json);
  }

  /** This definition in the JSON format {@link #fromJson} reads, version included. */
  public String toJson() {
    return DefinitionJson.write(this);
  }

  /** Throws {@link SagaException} {@code invalid_definition} naming the first problem found. */
  public SagaDefinition validate() {
    DefinitionRules.validate(this);
    return this;
  }

  /**
   * Whether {@code name} is a valid definition (or step) name: 1 to 64 of {@code [A-Za-z0-9_.-]}.
   */
  public static boolean isValidName(String name) {
    return name != null && DefinitionRules.NAME.matcher(name).matches();
  }

  public SagaStep step(String stepName) {
    for (SagaStep step : steps) {
      if (step.name().equals(stepName)) {
        return step;
      }
    }
    throw new IllegalArgumentException("no step " + stepName + " in saga " + name);
  }

  public SagaDefinition withVersion(int newVersion) {
    return new SagaDefinition(name, newVersion, steps, deadlineMs);
  }

  public SagaDefinition withSteps(List<SagaStep> newSteps) {
    return new SagaDefinition(name, version, newSteps, deadlineMs);
  }

  /** Builds a definition step by step. */
  public static final class Builder {
    private final String name;
    private final List<SagaStep> steps = new ArrayList<>();
    private long deadlineMs;

    private Builder(String name) {
      this.name = name;
    }

    public Builder step(String stepName, StepAction action, StepAction compensation) {
      return step(SagaStep.of(stepName, action, compensation));
    }

    public Builder step(SagaStep step) {
      steps.add(step);
      return this;
    }

    public Builder deadline(Duration deadline) {
      this.deadlineMs = deadline.toMillis();
      return this;
    }

    /** The definition, validated. */
    public SagaDefinition build() {
      return new SagaDefinition(name, 0, steps, deadlineMs).validate();
    }
  }
}
