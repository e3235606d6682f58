package dev.cohort.bench.chaos;

/**
 * How an operation ended. INDETERMINATE is Jepsen's {@code :info}: no answer, a timeout, or an
 * error that does not prove the operation was not applied.
 */
public enum Outcome {
  OK,
  FAIL,
  INDETERMINATE
}
