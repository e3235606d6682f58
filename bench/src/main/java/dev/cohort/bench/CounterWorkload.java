package dev.cohort.bench;

import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Durable increments through the embedded API: {@code clients} concurrent callers, each on its own
 * counter, each waiting for its acknowledgement (journal write done) before the next. Measures the
 * sharding + event-sourcing + journal path that every Cohort entity shares.
 */
final class CounterWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "durable counter increments, embedded; clients=16 seconds=10";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int clients = params.intValue("clients", 16);
    int seconds = params.intValue("seconds", 10);
    Path data = Files.createTempDirectory("cohort-bench-counter");
    CohortConfig config =
        CohortConfig.builder()
            .dataDir(data)
            .httpPort(0)
            .etcdPort(0)
            .kafkaPort(0)
            .remotePort(0)
            .build();
    try (CohortNode node = Cohort.start(config)) {
      for (int c = 0; c < clients; c++) {
        node.counters().increment("warm-" + c, 1).toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      Latencies latencies = new Latencies();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      CompletableFuture<?>[] loops = new CompletableFuture<?>[clients];
      long start = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        loops[c] = loop(node, "warm-" + c, end, latencies);
      }
      CompletableFuture.allOf(loops).get(seconds + 60L, TimeUnit.SECONDS);
      double elapsed = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "bench=counter_increment clients=%d ops=%d ops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f%n",
          clients,
          latencies.count(),
          latencies.count() / elapsed,
          latencies.percentileMillis(50),
          latencies.percentileMillis(99));
    }
  }

  private static CompletableFuture<Void> loop(
      CohortNode node, String counter, long end, Latencies latencies) {
    if (System.nanoTime() >= end) {
      return CompletableFuture.completedFuture(null);
    }
    long sent = System.nanoTime();
    return node.counters()
        .increment(counter, 1)
        .toCompletableFuture()
        .thenCompose(
            value -> {
              latencies.record(System.nanoTime() - sent);
              return loop(node, counter, end, latencies);
            });
  }
}
