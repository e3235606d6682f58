package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;

/** Where one step of an instance is. Written by ordinal: add constants only at the end. */
public enum StepStatus implements CohortSerializable {
  /** Not started. */
  PENDING,
  /** The action runs or waits for its next attempt. */
  RUNNING,
  /** The action completed; its output is in the context. */
  SUCCEEDED,
  /** The action failed for good (it is not compensated: it never completed). */
  FAILED,
  /** The compensation runs or waits for its next attempt. */
  COMPENSATING,
  /** The compensation completed. */
  COMPENSATED,
  /** The compensation failed for good. */
  COMPENSATION_FAILED
}
