package dev.cohort.saga.internal;

import dev.cohort.saga.Attempt;
import dev.cohort.saga.SagaUpdate;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptFailed;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptStarted;
import dev.cohort.saga.internal.SagaInstanceEntity.AttemptSucceeded;
import dev.cohort.saga.internal.SagaInstanceEntity.Compensated;
import dev.cohort.saga.internal.SagaInstanceEntity.CompensationFailed;
import dev.cohort.saga.internal.SagaInstanceEntity.CompensationStarted;
import dev.cohort.saga.internal.SagaInstanceEntity.Completed;
import dev.cohort.saga.internal.SagaInstanceEntity.Deps;
import dev.cohort.saga.internal.SagaInstanceEntity.Event;
import dev.cohort.saga.internal.SagaInstanceEntity.Resolved;
import dev.cohort.saga.internal.SagaInstanceEntity.RetryRequested;
import dev.cohort.saga.internal.SagaInstanceEntity.Started;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.slf4j.Logger;

/**
 * Tells the world what a saga instance recorded: the node's metrics, the cluster-wide update
 * stream, the events topic and the instance index. Called by the entity only after the events are
 * journaled (never from event handlers, which also run in replay), so nothing is announced that a
 * crash could still lose.
 *
 * <p>Invariants: every recorded event gives one {@link SagaUpdate} on the update stream, and all
 * but attempt starts one record on the events topic; the index and the state gauge are told of
 * every status change. All best effort: the instance journal stays the source of truth. Used from
 * the entity's actor thread only.
 */
final class InstanceReporter {
  private final String id;
  private final Deps deps;
  private final Logger log;

  InstanceReporter(String id, Deps deps, Logger log) {
    this.id = id;
    this.deps = deps;
    this.log = log;
  }

  /** Publishes {@code events}, just persisted, that led to {@code data}. */
  void recorded(InstanceData data, List<Event> events) {
    boolean statusChanged = false;
    for (Event event : events) {
      statusChanged |=
          !(event instanceof AttemptStarted
              || event instanceof AttemptSucceeded
              || event instanceof AttemptFailed);
      SagaUpdate update = update(data, event);
      deps.updates().tell(Topic.publish(update));
      if (!(event instanceof AttemptStarted)) {
        deps.events().publish(update);
      }
    }
    if (statusChanged) {
      report(data);
    }
  }

  private SagaUpdate update(InstanceData data, Event event) {
    return switch (event) {
      case Started e -> update(data, "started", null, 0, null, e.at());
      case AttemptStarted e ->
          update(
              data,
              e.phase() == StepPhase.ACTION ? "step_started" : "compensation_step_started",
              e.step(),
              e.attempt(),
              null,
              e.at());
      case AttemptSucceeded e -> {
        boolean action = e.phase() == StepPhase.ACTION;
        observe(data, e.step(), action ? "succeeded" : "compensated");
        yield update(
            data,
            action ? "step_succeeded" : "compensation_succeeded",
            e.step(),
            e.attempt(),
            null,
            e.at());
      }
      case AttemptFailed e -> {
        boolean action = e.phase() == StepPhase.ACTION;
        boolean again = e.nextAttemptAt().isPresent();
        observe(data, e.step(), (action ? "" : "compensation_") + (again ? "retry" : "failed"));
        yield update(
            data,
            action
                ? (again ? "step_attempt_failed" : "step_failed")
                : "compensation_attempt_failed",
            e.step(),
            e.attempt(),
            e.error(),
            e.at());
      }
      case CompensationStarted e -> {
        deps.metrics().compensationStarted(data.definition().name());
        log.info("saga {}: compensating: {}", id, e.reason());
        yield update(data, "compensation_started", null, 0, e.reason(), e.at());
      }
      case Completed e -> update(data, "completed", null, 0, null, e.at());
      case Compensated e -> update(data, "compensated", null, 0, null, e.at());
      case CompensationFailed e -> {
        log.warn("saga {}: waits for an operator: {}", id, e.error());
        yield update(data, "compensation_failed", e.step(), 0, e.error(), e.at());
      }
      case RetryRequested e -> update(data, "retried", null, 0, null, e.at());
      case Resolved e -> update(data, "resolved", null, 0, e.reason(), e.at());
    };
  }

  /** Tells the node's gauges and the index where the instance is. */
  void report(InstanceData data) {
    deps.metrics().instance(id, data.definition().name(), data.status());
    deps.sharding()
        .entityRefFor(
            SagaIndexEntity.ENTITY_TYPE_KEY,
            SagaIndexEntity.bucketOf(id, deps.settings().indexBuckets()))
        .tell(new SagaIndexEntity.Upsert(data.summary()));
  }

  /** The entity stopped: its gauges go. */
  void stopped() {
    deps.metrics().stopped(id);
  }

  private void observe(InstanceData data, int step, String outcome) {
    Attempt last = data.steps().get(step).lastAttempt().orElseThrow();
    double seconds =
        last.finishedAt()
            .map(f -> Duration.between(last.startedAt(), f).toNanos() / 1e9)
            .orElse(0.0);
    deps.metrics()
        .attempt(data.definition().name(), data.steps().get(step).name(), outcome, seconds);
  }

  private SagaUpdate update(
      InstanceData data, String event, Integer step, int attempt, String error, Instant at) {
    return new SagaUpdate(
        id,
        data.definition().name(),
        data.definition().version(),
        event,
        data.status(),
        step == null ? Optional.empty() : Optional.of(data.steps().get(step).name()),
        attempt,
        Optional.ofNullable(error),
        at);
  }
}
