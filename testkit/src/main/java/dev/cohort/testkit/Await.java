package dev.cohort.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.cohort.persistence.CohortException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Waiting in tests, always with a deadline: a condition polled until it holds, an answer joined
 * until it comes, the error code a call fails with. Never a sleep that hopes a condition came true:
 * a test that waits names what it waits for and fails when it does not come.
 */
public final class Await {
  /** How long {@link #join} waits for an answer: generous, for a loaded 2-core CI machine. */
  public static final Duration ANSWER = Duration.ofSeconds(20);

  private static final long POLL_MILLIS = 20;

  private Await() {}

  /** Polls {@code condition} until it holds; fails the test after {@code deadline}. */
  public static void await(Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("condition not met within " + deadline);
      }
      try {
        Thread.sleep(POLL_MILLIS); // the poll interval, not a wait for the condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** The value of {@code stage} within {@link #ANSWER}; its failure is rethrown as it is. */
  public static <T> T join(CompletionStage<T> stage) {
    return join(stage, ANSWER);
  }

  /** The value of {@code stage} within {@code deadline}; its failure is rethrown as it is. */
  public static <T> T join(CompletionStage<T> stage, Duration deadline) {
    try {
      return stage.toCompletableFuture().get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer within " + deadline, e);
    }
  }

  /** The code of the {@link CohortException} {@code stage} fails with; fails if it succeeds. */
  public static String errorCode(CompletionStage<?> stage) {
    try {
      Object value = join(stage);
      return fail("expected a failure, got " + value);
    } catch (CohortException e) {
      return e.code();
    }
  }
}
