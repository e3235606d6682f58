package dev.cohort.training.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Invariant {@code NoHangOnPeerLoss}: when a rank dies or stops taking part mid-collective, every
 * other rank's operation fails with a {@link CollectiveException} within the collective timeout,
 * and the communicator stays failed.
 */
class RingFailureTest {
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  // Completion must be observed within the timeout plus scheduling slack on a loaded 2-core box.
  static final long DEADLINE_MS = TIMEOUT.toMillis() + 3_000;

  static TrainingSettings settings() {
    return TrainingSettings.create(ConfigFactory.load())
        .withCollectiveTimeout(TIMEOUT)
        .withChunkBytes(64 * 1024);
  }

  static CollectiveException failureOf(CompletableFuture<Void> f) {
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () -> f.orTimeout(DEADLINE_MS, TimeUnit.MILLISECONDS).join());
    return assertInstanceOf(
        CollectiveException.class, e.getCause(), () -> "cause: " + e.getCause());
  }

  @Test
  void rankThatDiesMidAllReduceMakesTheOthersFailFast() {
    List<Communicator> ring = Communicators.localRing(3, settings());
    try (Arena arena = Arena.ofShared()) {
      List<CompletableFuture<Void>> running = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        // 64 MB: big enough that the collective is still running when rank 2 dies.
        MemorySegment buffer = arena.allocate(64L << 20, 64);
        running.add(ring.get(r).allReduce(buffer, ReduceOp.SUM).toCompletableFuture());
      }
      long start = System.nanoTime();
      ring.get(2).abort("test: simulated worker death");
      for (int r = 0; r < 2; r++) {
        CollectiveException e = failureOf(running.get(r));
        assertTrue(
            e.code().equals("peer_failed") || e.code().equals("collective_timeout"),
            "code " + e.code());
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(elapsedMs < DEADLINE_MS, "others failed after " + elapsedMs + " ms");
      // The communicator stays failed: later operations fail at once instead of hanging.
      CollectiveException later =
          failureOf(ring.get(0).allReduce(arena.allocate(16), ReduceOp.SUM).toCompletableFuture());
      assertTrue(later.getMessage().contains("rank 0"), later.getMessage());
    } finally {
      ring.forEach(Communicator::close);
    }
  }

  @Test
  void rankThatNeverTakesPartMakesTheOthersTimeOut() {
    List<Communicator> ring = Communicators.localRing(3, settings());
    try (Arena arena = Arena.ofShared()) {
      long start = System.nanoTime();
      List<CompletableFuture<Void>> running = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        running.add(
            ring.get(r).allReduce(arena.allocate(1 << 20, 64), ReduceOp.SUM).toCompletableFuture());
      }
      for (CompletableFuture<Void> f : running) {
        CollectiveException e = failureOf(f);
        // The rank whose timeout fires first reports collective_timeout; its abort then reaches
        // the other as a broken connection.
        assertTrue(
            e.code().equals("collective_timeout") || e.code().equals("peer_failed"),
            e.getMessage());
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(
          elapsedMs >= TIMEOUT.toMillis() - 100, "failed before the timeout: " + elapsedMs + " ms");
      assertTrue(elapsedMs < DEADLINE_MS, "failed after " + elapsedMs + " ms");
    } finally {
      ring.forEach(Communicator::close);
    }
  }

  @Test
  void closedCommunicatorRefusesOperations() {
    List<Communicator> ring = Communicators.localRing(2, settings());
    ring.forEach(Communicator::close);
    try (Arena arena = Arena.ofShared()) {
      CollectiveException e =
          failureOf(ring.get(1).allReduce(arena.allocate(16), ReduceOp.SUM).toCompletableFuture());
      assertEquals("communicator_closed", e.code());
    }
  }
}
