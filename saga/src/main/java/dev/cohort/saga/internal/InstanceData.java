package dev.cohort.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.observability.TraceContext;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.saga.Attempt;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.SagaSummary;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.StepRecord;
import dev.cohort.saga.StepStatus;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptFailed;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptStarted;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptSucceeded;
import dev.cohort.saga.internal.SagaInstanceEntity.Compensated;
import dev.cohort.saga.internal.SagaInstanceEntity.CompensationFailed;
import dev.cohort.saga.internal.SagaInstanceEntity.CompensationStarted;
import dev.cohort.saga.internal.SagaInstanceEntity.Completed;
import dev.cohort.saga.internal.SagaInstanceEntity.Event;
import dev.cohort.saga.internal.SagaInstanceEntity.Resolved;
import dev.cohort.saga.internal.SagaInstanceEntity.RetryRequested;
import dev.cohort.saga.internal.SagaInstanceEntity.Started;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a started saga instance knows, whatever its stage ({@link InstanceState} says which commands
 * the stage takes): its definition, status, input and context, and every step with its attempts.
 * Immutable; {@link #apply} is the one pure function from an event to the next data, used by the
 * entity's event handler and so also during replay.
 *
 * <p>Invariants: {@code steps} has one record per step of {@code definition}, in order; the context
 * is a JSON object holding {@code sagaId}, {@code input} and each completed action's output under
 * {@code steps.<name>.output}. {@code budgetStep} and {@code attemptBase}: after an operator's
 * retry, the attempts of that step's compensation before it no longer count against its retry
 * budget. {@code trace} is the starter's context (null without one): every attempt is a span of
 * that trace, also after the instance recovered on another node.
 */
public record InstanceData(
    String id,
    SagaDefinition definition,
    SagaState status,
    String input,
    String context,
    List<StepRecord> steps,
    int budgetStep,
    int attemptBase,
    Optional<Instant> wakeAt,
    Instant startedAt,
    Instant updatedAt,
    Optional<Instant> deadline,
    Optional<String> error,
    Optional<String> resolution,
    TraceContext trace)
    implements CohortSerializable {

  private static final Set<String> RESERVED = Set.of("sagaId", "input", "steps");

  public InstanceData {
    steps = steps == null ? List.of() : List.copyOf(steps);
    wakeAt = wakeAt == null ? Optional.empty() : wakeAt;
    deadline = deadline == null ? Optional.empty() : deadline;
    error = error == null ? Optional.empty() : error;
    resolution = resolution == null ? Optional.empty() : resolution;
  }

  /** The step whose action runs next (RUNNING), or {@code steps.size()} when all completed. */
  int nextAction() {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).status() != StepStatus.SUCCEEDED) {
        return i;
      }
    }
    return steps.size();
  }

  /** The step to compensate next (the last completed one not yet compensated), or -1. */
  int nextCompensation() {
    for (int i = steps.size() - 1; i >= 0; i--) {
      StepStatus s = steps.get(i).status();
      boolean completed =
          s == StepStatus.SUCCEEDED
              || s == StepStatus.COMPENSATING
              || s == StepStatus.COMPENSATION_FAILED;
      if (completed && definition.steps().get(i).compensation().isPresent()) {
        return i;
      }
    }
    return -1;
  }

  /** Attempts of {@code phase} of step {@code i} that count against its retry budget. */
  int attemptsUsed(int i, StepPhase phase) {
    int all = steps.get(i).attempts(phase).size();
    return phase == StepPhase.COMPENSATION && i == budgetStep ? all - attemptBase : all;
  }

  SagaInstance view() {
    return new SagaInstance(
        id,
        definition.name(),
        definition.version(),
        status,
        input,
        context,
        steps,
        startedAt,
        updatedAt,
        deadline,
        error,
        resolution);
  }

  SagaSummary summary() {
    return new SagaSummary(id, definition.name(), definition.version(), status, updatedAt);
  }

  /** The data after {@code event}; pure (no metrics, no messages: it also runs in replay). */
  InstanceData apply(Event event) {
    return switch (event) {
      case Started e -> started(e);
      case AttemptStarted e -> attemptStarted(e);
      case AttemptSucceeded e -> attemptSucceeded(e);
      case AttemptFailed e -> attemptFailed(e);
      case CompensationStarted e -> compensationStarted(e);
      case Completed e -> withStatus(SagaState.COMPLETED, e.at(), error);
      case Compensated e -> withStatus(SagaState.COMPENSATED, e.at(), error);
      case CompensationFailed e ->
          withStatus(SagaState.COMPENSATION_FAILED, e.at(), Optional.of(e.error()));
      case RetryRequested e -> retried(e);
      case Resolved e -> resolved(e);
    };
  }

  static InstanceData started(Started e) {
    List<StepRecord> records = new ArrayList<>();
    for (SagaStep step : e.definition().steps()) {
      records.add(StepRecord.pending(step.name()));
    }
    ObjectNode ctx = JsonValues.MAPPER.createObjectNode();
    ctx.put("sagaId", e.id());
    ctx.set("input", JsonValues.objectTree(e.input(), SagaError.INVALID_INPUT, "input"));
    ctx.putObject("steps");
    Optional<Instant> due =
        e.definition().deadlineMs() > 0
            ? Optional.of(e.at().plusMillis(e.definition().deadlineMs()))
            : Optional.empty();
    return new InstanceData(
        e.id(),
        e.definition(),
        SagaState.RUNNING,
        e.input(),
        ctx.toString(),
        records,
        -1,
        0,
        Optional.empty(),
        e.at(),
        e.at(),
        due,
        Optional.empty(),
        Optional.empty(),
        e.trace());
  }

  private InstanceData attemptStarted(AttemptStarted e) {
    StepRecord step =
        steps
            .get(e.step())
            .withStatus(
                e.phase() == StepPhase.ACTION ? StepStatus.RUNNING : StepStatus.COMPENSATING)
            .withAttempt(
                new Attempt(
                    e.phase(),
                    e.attempt(),
                    e.at(),
                    Optional.empty(),
                    Attempt.Outcome.RUNNING,
                    Optional.empty(),
                    false));
    return with(e.step(), step, Optional.empty(), e.at());
  }

  private InstanceData attemptSucceeded(AttemptSucceeded e) {
    StepRecord step = steps.get(e.step());
    Attempt last =
        step.lastAttempt()
            .orElseThrow()
            .finish(e.at(), Attempt.Outcome.SUCCEEDED, Optional.empty(), false);
    step = step.withLastAttempt(last).withError(Optional.empty());
    if (e.phase() == StepPhase.ACTION) {
      step = step.withStatus(StepStatus.SUCCEEDED).withOutput(Optional.of(e.output()));
      InstanceData next = with(e.step(), step, Optional.empty(), e.at());
      return next.withContext(merge(context, step.name(), e.output()));
    }
    return with(e.step(), step.withStatus(StepStatus.COMPENSATED), Optional.empty(), e.at());
  }

  private InstanceData attemptFailed(AttemptFailed e) {
    StepRecord step = steps.get(e.step());
    Attempt last =
        step.lastAttempt()
            .orElseThrow()
            .finish(e.at(), Attempt.Outcome.FAILED, Optional.of(e.error()), e.retryable());
    step = step.withLastAttempt(last).withError(Optional.of(e.error()));
    if (e.nextAttemptAt().isEmpty()) {
      step =
          step.withStatus(
              e.phase() == StepPhase.ACTION ? StepStatus.FAILED : StepStatus.COMPENSATION_FAILED);
    }
    return with(e.step(), step, e.nextAttemptAt(), e.at());
  }

  private InstanceData compensationStarted(CompensationStarted e) {
    List<StepRecord> records = new ArrayList<>();
    for (StepRecord r : steps) {
      // an action still retrying never completed: it is not compensated
      records.add(r.status() == StepStatus.RUNNING ? r.withStatus(StepStatus.FAILED) : r);
    }
    return new InstanceData(
        id,
        definition,
        SagaState.COMPENSATING,
        input,
        context,
        records,
        budgetStep,
        attemptBase,
        Optional.empty(),
        startedAt,
        e.at(),
        deadline,
        Optional.of(e.reason()),
        resolution,
        trace);
  }

  private InstanceData withStatus(SagaState next, Instant at, Optional<String> newError) {
    return new InstanceData(
        id,
        definition,
        next,
        input,
        context,
        steps,
        budgetStep,
        attemptBase,
        Optional.empty(),
        startedAt,
        at,
        deadline,
        newError,
        resolution,
        trace);
  }

  private InstanceData retried(RetryRequested e) {
    int target = nextCompensation();
    List<StepRecord> records = new ArrayList<>(steps);
    int base = 0;
    if (target >= 0) {
      records.set(target, records.get(target).withStatus(StepStatus.COMPENSATING));
      base = steps.get(target).attempts(StepPhase.COMPENSATION).size();
    }
    return new InstanceData(
        id,
        definition,
        SagaState.COMPENSATING,
        input,
        context,
        records,
        target,
        base,
        Optional.empty(),
        startedAt,
        e.at(),
        deadline,
        error,
        resolution,
        trace);
  }

  private InstanceData resolved(Resolved e) {
    return new InstanceData(
        id,
        definition,
        SagaState.RESOLVED,
        input,
        context,
        steps,
        budgetStep,
        attemptBase,
        Optional.empty(),
        startedAt,
        e.at(),
        deadline,
        error,
        Optional.of(e.reason()),
        trace);
  }

  private InstanceData with(int index, StepRecord step, Optional<Instant> wake, Instant at) {
    List<StepRecord> records = new ArrayList<>(steps);
    records.set(index, step);
    return new InstanceData(
        id,
        definition,
        status,
        input,
        context,
        records,
        budgetStep,
        attemptBase,
        wake,
        startedAt,
        at,
        deadline,
        error,
        resolution,
        trace);
  }

  private InstanceData withContext(String newContext) {
    return new InstanceData(
        id,
        definition,
        status,
        input,
        newContext,
        steps,
        budgetStep,
        attemptBase,
        wakeAt,
        startedAt,
        updatedAt,
        deadline,
        error,
        resolution,
        trace);
  }

  /**
   * The context with a step's output under {@code steps.<name>.output} and its top-level fields
   * merged in (except the reserved {@code sagaId}, {@code input}, {@code steps}).
   */
  static String merge(String context, String stepName, String output) {
    ObjectNode ctx = JsonValues.objectTree(context, SagaError.INVALID_INPUT, "context");
    ObjectNode out = JsonValues.objectTree(output, SagaError.INVALID_INPUT, "output");
    JsonNode steps = ctx.get("steps");
    ObjectNode stepsNode = steps instanceof ObjectNode o ? o : ctx.putObject("steps");
    stepsNode.putObject(stepName).set("output", out);
    Iterator<Map.Entry<String, JsonNode>> fields = out.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!RESERVED.contains(field.getKey())) {
        ctx.set(field.getKey(), field.getValue().deepCopy());
      }
    }
    return ctx.toString();
  }
}
