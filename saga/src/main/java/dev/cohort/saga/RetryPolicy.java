package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Duration;

/**
 * How often and how fast a step's action (or compensation) is tried again after a retryable
 * failure: attempt {@code n} (from 2) waits {@code min(initialBackoffMs * multiplier^(n-2),
 * maxBackoffMs)}. {@code maxAttempts} counts the first attempt.
 */
public record RetryPolicy(
    int maxAttempts, long initialBackoffMs, long maxBackoffMs, double multiplier)
    implements CohortSerializable {

  /** One attempt, no retries. */
  public static final RetryPolicy NONE = new RetryPolicy(1, 100, 100, 1.0);

  public static RetryPolicy of(
      int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier) {
    return new RetryPolicy(
        maxAttempts, initialBackoff.toMillis(), maxBackoff.toMillis(), multiplier);
  }

  /** The wait before attempt {@code nextAttempt} (2 for the first retry). */
  public Duration backoffBefore(int nextAttempt) {
    double millis = initialBackoffMs * Math.pow(multiplier, Math.max(0, nextAttempt - 2));
    return Duration.ofMillis((long) Math.min(millis, (double) maxBackoffMs));
  }
}
