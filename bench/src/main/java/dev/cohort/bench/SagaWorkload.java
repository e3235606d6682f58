package dev.cohort.bench;

import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.Sagas;
import dev.cohort.saga.StepAction;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Sagas of three java steps on one embedded node (H2 journal, no HTTP), started open-loop at each
 * offered rate for {@code seconds}: completion latency is start call → the instance's {@code
 * completed} update (every step journaled). Completions are counted until {@code drain} seconds
 * after the last start; what has not completed by then counts as an error ({@code start_failures}:
 * of those, the starts that failed, e.g. timed out).
 */
final class SagaWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "three-step java sagas at increasing offered rates, embedded; rates=50,100,200,400 seconds=5 drain=20";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    String rates = params.values().getOrDefault("rates", "50,100,200,400");
    int seconds = params.intValue("seconds", 5);
    int drain = params.intValue("drain", 20);
    CohortConfig config =
        CohortConfig.builder()
            .dataDir(Files.createTempDirectory("cohort-bench-saga"))
            .httpPort(0)
            .etcdPort(0)
            .kafkaPort(0)
            .remotePort(0)
            // completions are observed through updates(): a buffer that never drops them
            .override("cohort.saga.updates-buffer-size", 1_000_000)
            .build();
    try (CohortNode node = Cohort.start(config)) {
      Sagas sagas = node.sagas();
      for (String step : new String[] {"reserve", "charge", "confirm", "undo"}) {
        sagas.registerFunction(step, ctx -> CompletableFuture.completedFuture(Map.of()));
      }
      sagas
          .define(
              SagaDefinition.builder("bench3")
                  .step("reserve", StepAction.java("reserve"), StepAction.java("undo"))
                  .step("charge", StepAction.java("charge"), StepAction.java("undo"))
                  .step("confirm", StepAction.java("confirm"), StepAction.java("undo"))
                  .build())
          .toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
      Map<String, Long> started = new ConcurrentHashMap<>();
      Map<String, Long> completed = new ConcurrentHashMap<>();
      sagas
          .updates()
          .filter(u -> u.state() == SagaState.COMPLETED && u.event().equals("completed"))
          .runWith(
              Sink.foreach(u -> completed.putIfAbsent(u.id(), System.nanoTime())), node.system());
      // one warm-up saga: entity types, the definition and the journal are ready afterwards
      sagas.start("bench3", "warmup", Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      waitFor(() -> completed.containsKey("warmup"), 60);
      for (String text : rates.split(",")) {
        int rate = Integer.parseInt(text.trim());
        runRate(sagas, rate, seconds, drain, started, completed);
      }
    }
  }

  private static void runRate(
      Sagas sagas,
      int rate,
      int seconds,
      int drain,
      Map<String, Long> started,
      Map<String, Long> completed) {
    int count = rate * seconds;
    AtomicLong errors = new AtomicLong();
    String prefix = "r" + rate + "-";
    long begin = System.nanoTime();
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    for (int i = 0; i < count; i++) {
      long due = begin + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      String id = prefix + i;
      started.put(id, System.nanoTime());
      sagas
          .start("bench3", id, Map.of("n", i))
          .whenComplete(
              (result, failure) -> {
                if (failure != null) {
                  errors.incrementAndGet();
                }
              });
    }
    waitFor(() -> done(prefix, count, completed) + errors.get() >= count, drain);
    Latencies latencies = new Latencies();
    long last = begin;
    int finished = 0;
    for (int i = 0; i < count; i++) {
      Long end = completed.get(prefix + i);
      if (end != null) {
        finished++;
        latencies.record(end - started.get(prefix + i));
        last = Math.max(last, end);
      }
    }
    double elapsed = Math.max(1e-9, (last - begin) / 1e9);
    System.out.printf(
        "bench=saga steps=3 offered_per_s=%d started=%d completed_per_s=%.1f p50_ms=%.1f p99_ms=%.1f errors=%d start_failures=%d%n",
        rate,
        count,
        finished / elapsed,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99),
        count - finished,
        errors.get());
  }

  private static int done(String prefix, int count, Map<String, Long> completed) {
    int n = 0;
    for (int i = 0; i < count; i++) {
      if (completed.containsKey(prefix + i)) {
        n++;
      }
    }
    return n;
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, long seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, seconds));
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }
}
