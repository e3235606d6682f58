package dev.cohort.saga;

/**
 * Thrown by (or failing the stage of) a {@link SagaFunction} to say whether the step may be tried
 * again. Any other exception counts as retryable.
 */
public class StepFailure extends RuntimeException {
  private final boolean retryable;

  public StepFailure(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** A failure that no retry can fix: the step fails for good at once. */
  public static StepFailure permanent(String message) {
    return new StepFailure(message, false);
  }

  public static StepFailure retryable(String message) {
    return new StepFailure(message, true);
  }

  public boolean retryable() {
    return retryable;
  }
}
