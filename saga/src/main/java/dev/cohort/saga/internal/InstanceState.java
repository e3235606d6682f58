package dev.cohort.saga.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.saga.internal.SagaInstanceEntity.Event;
import dev.cohort.saga.internal.SagaInstanceEntity.Started;

/**
 * The stages of a saga instance's lifecycle as state types, so that the entity selects its command
 * handlers by stage ({@code forStateType}) and a command that makes no sense in a stage has no
 * handler there: {@link NotStarted} (only a start changes it) → {@link Active} (RUNNING or
 * COMPENSATING: steps run by themselves) → {@link AwaitingOperator} (COMPENSATION_FAILED: only
 * retry or resolve move it) or {@link Ended} (COMPLETED, COMPENSATED, RESOLVED: nothing changes any
 * more).
 *
 * <p>Invariant: the stage always matches the data's status ({@link #of} is the only way from {@link
 * InstanceData} to a stage), so replaying events through {@link #apply} lands in the same stage as
 * the live entity did. Pure: no side effects, it runs during replay.
 */
public sealed interface InstanceState extends CohortSerializable
    permits InstanceState.NotStarted, InstanceState.Existing {

  String id();

  /** The stage after {@code event}. */
  InstanceState apply(Event event);

  /** The stage an instance with this data is in. */
  static InstanceState of(InstanceData data) {
    return switch (data.status()) {
      case RUNNING, COMPENSATING -> new Active(data);
      case COMPENSATION_FAILED -> new AwaitingOperator(data);
      case COMPLETED, COMPENSATED, RESOLVED -> new Ended(data);
    };
  }

  /** No instance of this id was started (or only its index placeholder exists). */
  record NotStarted(String id) implements InstanceState {
    @Override
    public InstanceState apply(Event event) {
      if (event instanceof Started started) {
        return of(InstanceData.started(started));
      }
      throw new IllegalStateException("saga instance '" + id + "' was not started before " + event);
    }
  }

  /** A started instance, whatever its stage. */
  sealed interface Existing extends InstanceState permits Active, AwaitingOperator, Ended {
    InstanceData data();

    @Override
    default String id() {
      return data().id();
    }

    @Override
    default InstanceState apply(Event event) {
      return of(data().apply(event));
    }
  }

  /** RUNNING or COMPENSATING: the instance runs its next attempt by itself. */
  record Active(InstanceData data) implements Existing {}

  /** COMPENSATION_FAILED: waits for an operator's retry or resolve. */
  record AwaitingOperator(InstanceData data) implements Existing {}

  /** COMPLETED, COMPENSATED or RESOLVED: final. */
  record Ended(InstanceData data) implements Existing {}
}
