package dev.cohort.bench;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.DataParallelTrainer;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingData;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.Communicators;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeChoice;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;

/**
 * Data-parallel training throughput of the reference model (SimpleModel 1024-2048-1024-10) with 1,
 * 2 and 4 CPU workers on each compute ({@code compute=java,openblas}): each worker a thread of this
 * JVM with its own replica on its own compute, its share of the batch and a rank of a ring
 * communicator over loopback TCP, running the real trainer (bucketed, overlapped allreduce;
 * openblas gradients are reduced in place). Workers share the machine's cores ({@code cores /
 * workers} compute threads each), so the figure is what one node gets, not a scaling ideal. The
 * optimizer is {@code adam} (default) or {@code sgd} (lr 0.01, as PyTorch's DDP anchor {@code
 * ddp_mlp.py}); {@code bucket_mb} is the gradient bucket cap (25, DDP's default). Prints
 *
 * <pre>
 * bench=training model=simple compute=C optimizer=O bucket_mb=M workers=N batch=B steps=S threads_per_worker=T samples_per_s=… step_ms_p50=… step_ms_max=… data_ms=… compute_ms=… comm_wait_ms=… allreduce_ms=… optimizer_ms=…
 * </pre>
 *
 * where samples/s counts all workers' samples after {@code warmup} steps, step time is rank 0's
 * wall time per step, and the last five are rank 0's means per step: data loading (gathering its
 * share of the batch), forward + backward, waiting for allreduces after the backward pass, the
 * allreduces' span from first launch to last completion (overlapping the backward pass), and the
 * optimizer.
 */
final class TrainingWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "data-parallel SimpleModel training on CPU ring workers; compute=java,openblas optimizer=adam|sgd bucket_mb=25 workers=1,2,4 batch=32 (per worker) steps=5 warmup=1";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int batch = params.intValue("batch", 32);
    int steps = params.intValue("steps", 5);
    int warmup = params.intValue("warmup", 1);
    String workers = params.values().getOrDefault("workers", "1,2,4");
    String computes = params.values().getOrDefault("compute", "java,openblas");
    String optimizer = params.values().getOrDefault("optimizer", "adam");
    long bucketBytes = (long) params.intValue("bucket_mb", 25) << 20;
    MlpSpec spec = MlpSpec.SIMPLE_MODEL;
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    for (String c : computes.split(",")) {
      ComputeChoice choice = Computes.choose(ComputeKind.parse(c), -1, settings);
      for (String w : workers.split(",")) {
        int n = Integer.parseInt(w.trim());
        run(settings, spec, choice, optimizer, bucketBytes, n, batch, steps, warmup);
      }
    }
  }

  private static void run(
      TrainingSettings settings,
      MlpSpec spec,
      ComputeChoice choice,
      String optimizer,
      long bucketBytes,
      int n,
      int batch,
      int steps,
      int warmup) {
    // Enough samples that no rank runs out of its share within the measured steps.
    List<byte[]> records =
        SyntheticDataset.records(n * batch * (steps + warmup), spec.inputs(), spec.classes(), 7);
    TrainingData data = TrainingData.decode(records, spec.inputs(), spec.classes());
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / n);
    List<Communicator> ring = Communicators.localRing(n, settings);
    List<CompletableFuture<List<StepResult>>> ranks = new ArrayList<>();
    for (Communicator comm : ring) {
      CompletableFuture<List<StepResult>> result = new CompletableFuture<>();
      Thread.ofPlatform()
          .name("bench-train-" + comm.rank())
          .start(
              () -> {
                try {
                  result.complete(
                      train(
                          comm,
                          spec,
                          choice,
                          optimizer,
                          bucketBytes,
                          data,
                          batch,
                          threads,
                          warmup,
                          steps,
                          settings));
                } catch (Throwable t) {
                  result.completeExceptionally(t);
                }
              });
      ranks.add(result);
    }
    List<StepResult> rank0 = ranks.getFirst().join();
    for (CompletableFuture<List<StepResult>> r : ranks) {
      r.join();
    }
    ring.forEach(Communicator::close);
    long[] stepNanos = rank0.stream().mapToLong(StepResult::wallNanos).toArray();
    long total = Arrays.stream(stepNanos).sum();
    long[] sorted = stepNanos.clone();
    Arrays.sort(sorted);
    System.out.println(
        String.format(
            Locale.ROOT,
            "bench=training model=simple compute=%s optimizer=%s bucket_mb=%d workers=%d batch=%d steps=%d threads_per_worker=%d samples_per_s=%.1f step_ms_p50=%.1f step_ms_max=%.1f data_ms=%.2f compute_ms=%.2f comm_wait_ms=%.2f allreduce_ms=%.2f optimizer_ms=%.2f",
            choice.kind().id(),
            optimizer,
            bucketBytes >> 20,
            n,
            batch,
            steps,
            threads,
            (double) n * batch * steps / (total / 1e9),
            sorted[sorted.length / 2] / 1e6,
            sorted[sorted.length - 1] / 1e6,
            mean(rank0, r -> r.result().dataNanos()),
            mean(rank0, r -> r.result().computeNanos()),
            mean(rank0, r -> r.result().exposedCommNanos()),
            mean(rank0, r -> r.result().allreduceNanos()),
            mean(rank0, r -> r.result().optimizerNanos())));
  }

  /** One timed step: its wall time and the trainer's breakdown. */
  private record StepResult(long wallNanos, DataParallelTrainer.StepResult result) {}

  private static double mean(List<StepResult> steps, ToLongFunction<StepResult> f) {
    return steps.stream().mapToLong(f).average().orElse(0) / 1e6;
  }

  /** One rank: warm-up steps, then {@code steps} timed steps. */
  private static List<StepResult> train(
      Communicator comm,
      MlpSpec spec,
      ComputeChoice choice,
      String optimizerType,
      long bucketBytes,
      TrainingData data,
      int batch,
      int threads,
      int warmup,
      int steps,
      TrainingSettings settings) {
    List<StepResult> times = new ArrayList<>();
    try (Compute compute = Computes.create(choice, threads, -1, settings);
        Mlp model = Mlp.create(spec, 1, compute)) {
      float lr = optimizerType.equals("sgd") ? 0.01f : 1e-3f;
      Optimizer optimizer =
          new OptimizerSpec(optimizerType, lr, 0f).create(spec.parameterCount(), compute);
      try (DataParallelTrainer trainer =
          DataParallelTrainer.create(comm, model, optimizer, data, batch, bucketBytes, 3)) {
        trainer.broadcastParameters();
        for (int i = 0; i < warmup; i++) {
          trainer.step();
        }
        for (int i = 0; i < steps; i++) {
          long start = System.nanoTime();
          DataParallelTrainer.StepResult r = trainer.step();
          times.add(new StepResult(System.nanoTime() - start, r));
        }
      }
    }
    return times;
  }
}
