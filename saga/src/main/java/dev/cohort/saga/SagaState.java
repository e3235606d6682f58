package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;

/**
 * Where a saga instance is. {@code RUNNING} and {@code COMPENSATING} make progress by themselves;
 * {@code COMPENSATION_FAILED} waits for an operator ({@link Sagas#retry} or {@link Sagas#resolve});
 * the others are final. Written by ordinal: add constants only at the end.
 */
public enum SagaState implements CohortSerializable {
  /** Steps' actions run in order. */
  RUNNING,
  /** A step failed for good (or the deadline passed): completed steps are undone in reverse. */
  COMPENSATING,
  /** Every step's action succeeded. */
  COMPLETED,
  /** Every completed step was compensated. */
  COMPENSATED,
  /** A compensation failed for good; waits for retry or resolve. */
  COMPENSATION_FAILED,
  /** An operator marked the instance resolved by hand. */
  RESOLVED;

  /** Whether the instance can still change by itself. */
  public boolean active() {
    return this == RUNNING || this == COMPENSATING;
  }

  /** Whether nothing can change the instance any more. */
  public boolean terminal() {
    return this == COMPLETED || this == COMPENSATED || this == RESOLVED;
  }
}
