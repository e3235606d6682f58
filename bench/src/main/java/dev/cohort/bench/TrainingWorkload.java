package dev.cohort.bench;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.DataParallelTrainer;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingData;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.Communicators;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Data-parallel training throughput of the reference model (SimpleModel 1024-2048-1024-10, Adam)
 * with 1, 2 and 4 CPU workers: each worker a thread of this JVM with its own replica, its share of
 * the batch and a rank of a ring communicator over loopback TCP, running the real trainer
 * (bucketed, overlapped allreduce). Workers share the machine's cores ({@code cores / workers}
 * compute threads each), so the figure is what one node gets, not a scaling ideal. Prints
 *
 * <pre>
 * bench=training model=simple workers=N batch=B steps=S samples_per_s=… step_ms_p50=… step_ms_max=…
 * </pre>
 *
 * where samples/s counts all workers' samples after {@code warmup} steps and step time is rank 0's
 * wall time per step.
 */
final class TrainingWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "data-parallel SimpleModel training on CPU ring workers; workers=1,2,4 batch=32 (per worker) steps=5 warmup=1";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int batch = params.intValue("batch", 32);
    int steps = params.intValue("steps", 5);
    int warmup = params.intValue("warmup", 1);
    String workers = params.values().getOrDefault("workers", "1,2,4");
    MlpSpec spec = MlpSpec.SIMPLE_MODEL;
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    for (String w : workers.split(",")) {
      int n = Integer.parseInt(w.trim());
      // Enough samples that no rank runs out of its share within the measured steps.
      List<byte[]> records =
          SyntheticDataset.records(n * batch * (steps + warmup), spec.inputs(), spec.classes(), 7);
      TrainingData data = TrainingData.decode(records, spec.inputs(), spec.classes());
      int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / n);
      List<Communicator> ring = Communicators.localRing(n, settings);
      List<CompletableFuture<long[]>> ranks = new ArrayList<>();
      for (Communicator comm : ring) {
        CompletableFuture<long[]> result = new CompletableFuture<>();
        Thread.ofPlatform()
            .name("bench-train-" + comm.rank())
            .start(
                () -> {
                  try {
                    result.complete(train(comm, spec, data, batch, threads, warmup, steps));
                  } catch (Throwable t) {
                    result.completeExceptionally(t);
                  }
                });
        ranks.add(result);
      }
      long[] stepNanos = ranks.getFirst().join();
      for (CompletableFuture<long[]> r : ranks) {
        r.join();
      }
      ring.forEach(Communicator::close);
      long total = Arrays.stream(stepNanos).sum();
      long[] sorted = stepNanos.clone();
      Arrays.sort(sorted);
      System.out.println(
          String.format(
              Locale.ROOT,
              "bench=training model=simple workers=%d batch=%d steps=%d threads_per_worker=%d samples_per_s=%.1f step_ms_p50=%.1f step_ms_max=%.1f",
              n,
              batch,
              steps,
              threads,
              (double) n * batch * steps / (total / 1e9),
              sorted[sorted.length / 2] / 1e6,
              sorted[sorted.length - 1] / 1e6));
    }
  }

  /**
   * One rank: warm-up steps, then {@code steps} timed steps; returns each timed step's wall time.
   */
  private static long[] train(
      Communicator comm,
      MlpSpec spec,
      TrainingData data,
      int batch,
      int threads,
      int warmup,
      int steps) {
    Mlp model = Mlp.create(spec, 1, threads);
    Optimizer adam = Optimizer.adam(1e-3f, spec.parameterCount());
    long[] times = new long[steps];
    try (DataParallelTrainer trainer =
        DataParallelTrainer.create(comm, model, adam, data, batch, 25L << 20, 3)) {
      trainer.broadcastParameters();
      for (int i = 0; i < warmup; i++) {
        trainer.step();
      }
      for (int i = 0; i < steps; i++) {
        long start = System.nanoTime();
        trainer.step();
        times[i] = System.nanoTime() - start;
      }
    } finally {
      model.close();
    }
    return times;
  }
}
