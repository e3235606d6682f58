package dev.cohort.security.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The node's copy of the security state: with auth off an old copy answers at once while one fetch
 * renews it (no request waits for the registry's node), with auth on an old copy is never served.
 */
class StateCacheTest {
  private static final SecurityState OFF = SecurityState.empty();
  private static final SecurityState ON = new SecurityState(true, Map.of(), Map.of(), Map.of());

  /** Fetches that the test completes by hand, in the order they were started. */
  private final List<CompletableFuture<SecurityState>> fetches = new ArrayList<>();

  private StateCache cache() {
    return new StateCache(
        Duration.ZERO,
        () -> {
          CompletableFuture<SecurityState> f = new CompletableFuture<>();
          fetches.add(f);
          return f;
        });
  }

  @Test
  void anOldCopyThatSaysOffAnswersAtOnceWhileOneFetchRenewsIt() {
    StateCache cache = cache();
    CompletableFuture<SecurityState> first = cache.fresh();
    fetches.getFirst().complete(OFF);
    assertSame(OFF, first.join());

    CompletableFuture<SecurityState> second = cache.fresh();
    CompletableFuture<SecurityState> third = cache.fresh();
    assertTrue(second.isDone(), "waited for the registry with auth off");
    assertSame(OFF, second.join());
    assertSame(OFF, third.join());
    assertEquals(2, fetches.size(), "one renewal in flight, shared");

    fetches.get(1).completeExceptionally(new RuntimeException("registry unreachable"));
    assertSame(OFF, cache.fresh().join());
    assertEquals(3, fetches.size(), "a failed renewal is tried again");
  }

  @Test
  void anOldCopyThatSaysOnIsNeverServed() {
    StateCache cache = cache();
    CompletableFuture<SecurityState> first = cache.fresh();
    fetches.getFirst().complete(ON);
    assertSame(ON, first.join());

    CompletableFuture<SecurityState> second = cache.fresh();
    assertFalse(second.isDone(), "an old copy with auth on was served");
    fetches.get(1).completeExceptionally(new RuntimeException("registry unreachable"));
    assertTrue(second.isCompletedExceptionally(), "a check with auth on must fail closed");
  }

  @Test
  void aFetchThatCompletesInlineLeavesNoFetchInFlight() {
    List<Integer> started = new ArrayList<>();
    StateCache cache =
        new StateCache(
            Duration.ZERO,
            () -> {
              started.add(started.size());
              return CompletableFuture.completedFuture(OFF);
            });
    cache.fresh().join();
    cache.fresh().join();
    cache.fresh().join();
    assertEquals(3, started.size(), "a renewal that completed inline still counted as in flight");
  }
}
