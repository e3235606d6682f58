package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One step of an instance: its status, every attempt of its action and compensation in order, the
 * action's output (JSON object text) and the last error.
 */
public record StepRecord(
    String name,
    StepStatus status,
    List<Attempt> attempts,
    Optional<String> output,
    Optional<String> error)
    implements CohortSerializable {

  public StepRecord {
    attempts = attempts == null ? List.of() : List.copyOf(attempts);
    output = output == null ? Optional.empty() : output;
    error = error == null ? Optional.empty() : error;
  }

  public static StepRecord pending(String name) {
    return new StepRecord(name, StepStatus.PENDING, List.of(), Optional.empty(), Optional.empty());
  }

  /** The attempts of one phase, in order. */
  public List<Attempt> attempts(StepPhase phase) {
    return attempts.stream().filter(a -> a.phase() == phase).toList();
  }

  public StepRecord withStatus(StepStatus newStatus) {
    return new StepRecord(name, newStatus, attempts, output, error);
  }

  public StepRecord withAttempt(Attempt attempt) {
    List<Attempt> next = new ArrayList<>(attempts);
    next.add(attempt);
    return new StepRecord(name, status, next, output, error);
  }

  /** This record with its last attempt replaced by {@code attempt}. */
  public StepRecord withLastAttempt(Attempt attempt) {
    List<Attempt> next = new ArrayList<>(attempts);
    next.set(next.size() - 1, attempt);
    return new StepRecord(name, status, next, output, error);
  }

  public StepRecord withOutput(Optional<String> newOutput) {
    return new StepRecord(name, status, attempts, newOutput, error);
  }

  public StepRecord withError(Optional<String> newError) {
    return new StepRecord(name, status, attempts, output, newError);
  }

  /** The last attempt, if any. */
  public Optional<Attempt> lastAttempt() {
    return attempts.isEmpty() ? Optional.empty() : Optional.of(attempts.get(attempts.size() - 1));
  }
}
