package dev.cohort.security;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Watches the permission of one admitted request that stays open (an SSE stream, a long poll, an
 * etcd watch or keep-alive stream): every {@code interval} it asks the request's decision again and
 * completes {@link #refused()} with the first one that is no longer "allowed" (token revoked or
 * expired, user deleted, grant or role taken away). The listener then ends the request in its own
 * protocol's way. Every listener uses this one mechanism, so that "closes within about {@code
 * stream-check-interval}" means the same everywhere.
 *
 * <p>Invariants: one check at a time (the next is scheduled after the previous answered); a check
 * that fails (the registry did not answer within {@code ask-timeout}) counts as refused ({@link
 * AuthDecision#INVALID_TOKEN}): an open request is never assumed still allowed; after {@link
 * #stop()} no further check starts and {@link #refused()} never completes. Thread-safe.
 */
public final class PermissionWatch {
  /**
   * Only schedules the checks (each one asks asynchronously), for every watch of the JVM; a
   * cancelled check leaves its queue at once, so that the many short requests (most GETs end before
   * their first check) leave nothing behind.
   */
  private static final ScheduledThreadPoolExecutor TIMER = timer();

  private final long intervalNanos;
  private final Supplier<CompletionStage<AuthDecision>> recheck;
  private final CompletableFuture<AuthDecision> refused = new CompletableFuture<>();
  private volatile boolean stopped;
  private volatile ScheduledFuture<?> next;

  private PermissionWatch(Duration interval, Supplier<CompletionStage<AuthDecision>> recheck) {
    this.intervalNanos = interval.toNanos();
    this.recheck = recheck;
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1, Thread.ofPlatform().name("cohort-permission-watch").daemon().factory());
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /**
   * Starts watching: the first check runs {@code interval} from now (the request was checked when
   * it came in). Call {@link #stop()} when the request ends.
   */
  public static PermissionWatch start(
      Duration interval, Supplier<CompletionStage<AuthDecision>> recheck) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("the check interval must be positive");
    }
    PermissionWatch watch = new PermissionWatch(interval, recheck);
    watch.schedule();
    return watch;
  }

  /** Completes with the first refusal; never completes while still allowed or after a stop. */
  public CompletionStage<AuthDecision> refused() {
    return refused;
  }

  /** Stops checking: the request ended on its own. */
  public void stop() {
    stopped = true;
    ScheduledFuture<?> pending = next;
    if (pending != null) {
      pending.cancel(false);
    }
  }

  private void schedule() {
    next = TIMER.schedule(this::check, intervalNanos, TimeUnit.NANOSECONDS);
    if (stopped) {
      next.cancel(false);
    }
  }

  private void check() {
    if (stopped) {
      return;
    }
    CompletableFuture<AuthDecision> answer;
    try {
      answer = recheck.get().toCompletableFuture();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (decision, failure) -> {
          if (stopped) {
            return;
          }
          if (failure != null) {
            refused.complete(AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN));
          } else if (!decision.allowed()) {
            refused.complete(decision);
          } else {
            schedule();
          }
        });
  }
}
