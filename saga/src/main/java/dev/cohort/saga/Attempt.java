package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Instant;
import java.util.Optional;

/**
 * One attempt of a step's action or compensation, as recorded in the instance's journal.
 *
 * @param phase action or compensation
 * @param number from 1 within its phase (numbering continues after an operator's retry)
 * @param startedAt when the attempt was recorded as started
 * @param finishedAt when its outcome was recorded; empty while it runs
 * @param outcome RUNNING, SUCCEEDED or FAILED
 * @param error what went wrong, for a failed attempt
 * @param retryable whether the failure allowed another attempt
 */
public record Attempt(
    StepPhase phase,
    int number,
    Instant startedAt,
    Optional<Instant> finishedAt,
    Outcome outcome,
    Optional<String> error,
    boolean retryable)
    implements CohortSerializable {

  /** An attempt's outcome. Written by ordinal. */
  public enum Outcome implements CohortSerializable {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  public Attempt {
    finishedAt = finishedAt == null ? Optional.empty() : finishedAt;
    error = error == null ? Optional.empty() : error;
  }

  public Attempt finish(Instant at, Outcome result, Optional<String> failure, boolean canRetry) {
    return new Attempt(phase, number, startedAt, Optional.of(at), result, failure, canRetry);
  }
}
