package dev.cohort.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.testkit.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The one re-check every open request of every listener is watched with. */
class PermissionWatchTest {
  private static final Duration INTERVAL = Duration.ofMillis(20);

  @Test
  void completesWithTheFirstRefusal() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    AtomicReference<AuthDecision> now = new AtomicReference<>(AuthDecision.allowed("alice"));
    PermissionWatch watch =
        PermissionWatch.start(
            INTERVAL,
            () -> {
              asked.incrementAndGet();
              return CompletableFuture.completedFuture(now.get());
            });
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 3);
    assertFalse(watch.refused().toCompletableFuture().isDone(), "allowed: still open");
    now.set(AuthDecision.denied("alice"));
    AuthDecision refused = watch.refused().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(AuthDecision.Outcome.DENIED, refused.outcome());
  }

  @Test
  void aCheckThatFailsCountsAsRefused() throws Exception {
    PermissionWatch watch =
        PermissionWatch.start(
            INTERVAL,
            () -> CompletableFuture.failedFuture(new IllegalStateException("registry gone")));
    AuthDecision refused = watch.refused().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(AuthDecision.INVALID_TOKEN, refused.reason());
  }

  @Test
  void afterStopNoCheckRuns() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    PermissionWatch watch =
        PermissionWatch.start(
            INTERVAL,
            () -> {
              asked.incrementAndGet();
              return CompletableFuture.completedFuture(AuthDecision.allowed("alice"));
            });
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 1);
    watch.stop();
    int atStop = asked.get();
    // a second watch, started after the stop, runs several checks meanwhile
    AtomicInteger other = new AtomicInteger();
    PermissionWatch witness =
        PermissionWatch.start(
            INTERVAL,
            () -> {
              other.incrementAndGet();
              return CompletableFuture.completedFuture(AuthDecision.allowed("bob"));
            });
    Await.await(Duration.ofSeconds(10), () -> other.get() >= 5);
    witness.stop();
    // a check already past its start when stop came may still count once
    assertTrue(asked.get() <= atStop + 1, "no check started after stop: " + asked + " " + atStop);
  }
}
