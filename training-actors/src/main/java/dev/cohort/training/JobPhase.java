package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;

/**
 * A training job's state. Written by ordinal: add values only at the end.
 *
 * <p>{@code PENDING → RENDEZVOUS → RUNNING → COMPLETED | FAILED | CANCELLED}; a lost worker takes
 * {@code RUNNING} back to {@code RENDEZVOUS}.
 */
public enum JobPhase implements CohortSerializable {
  /** No such job (yet). */
  PENDING,
  /** Gathering workers for the next generation. */
  RENDEZVOUS,
  /** A generation is training. */
  RUNNING,
  COMPLETED,
  FAILED,
  CANCELLED;

  public boolean ended() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
