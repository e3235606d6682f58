package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;

/** Whether an attempt ran a step's action or its compensation. Written by ordinal. */
public enum StepPhase implements CohortSerializable {
  ACTION,
  COMPENSATION;

  /** The name used in idempotency keys and JSON: {@code action} or {@code compensation}. */
  public String label() {
    return this == ACTION ? "action" : "compensation";
  }
}
