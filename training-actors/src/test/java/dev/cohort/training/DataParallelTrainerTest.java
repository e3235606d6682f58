package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.Communicators;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeChoice;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.JavaCompute;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two ranks in one JVM (threads) train the synthetic dataset over the ring backend. Invariants:
 * {@code LossFalls} (by a factor of 4 within 4 epochs), {@code IdenticalReplicas} (parameter
 * checksums equal across ranks after every step), {@code SameSeedSameCurve}.
 */
class DataParallelTrainerTest {
  static final TrainingSettings SETTINGS = TrainingSettings.create(ConfigFactory.load());
  static final MlpSpec SPEC = MlpSpec.of(16, 64, 4);
  // 2047: the shares differ by one sample and the last batch of an epoch is ragged.
  static final TrainingData DATA =
      TrainingData.decode(SyntheticDataset.records(2047, 16, 4, 1), 16, 4);
  static final int EPOCHS = 4;

  record Run(List<Double> losses, List<long[]> checksums) {}

  record Step(double loss, long checksum) {}

  static Run train(long seed, int ranks) {
    return train(seed, ranks, ComputeKind.JAVA);
  }

  static Run train(long seed, int ranks, ComputeKind compute) {
    List<Communicator> ring = Communicators.localRing(ranks, SETTINGS);
    try {
      List<CompletableFuture<List<Step>>> workers = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        Communicator comm = ring.get(r);
        workers.add(
            CompletableFuture.supplyAsync(
                () -> worker(comm, seed, compute), Thread::startVirtualThread));
      }
      List<List<Step>> perRank = new ArrayList<>();
      for (var w : workers) {
        perRank.add(w.orTimeout(60, TimeUnit.SECONDS).join());
      }
      List<Double> losses = new ArrayList<>();
      List<long[]> checksums = new ArrayList<>();
      for (int step = 0; step < perRank.get(0).size(); step++) {
        losses.add(perRank.get(0).get(step).loss());
        long[] sums = new long[ranks];
        for (int r = 0; r < ranks; r++) {
          assertEquals(
              losses.get(step), perRank.get(r).get(step).loss(), "every rank sees the global loss");
          sums[r] = perRank.get(r).get(step).checksum();
        }
        checksums.add(sums);
      }
      return new Run(losses, checksums);
    } finally {
      ring.forEach(Communicator::close);
    }
  }

  /** One rank's loop; returns the loss and the parameter checksum after every step. */
  static List<Step> worker(Communicator comm, long seed, ComputeKind kind) {
    // Each rank initialises from its own seed on purpose: broadcastParameters must make them equal.
    Compute compute = Computes.create(new ComputeChoice(kind, "test"), 1, -1, SETTINGS);
    Mlp model = Mlp.create(SPEC, seed + comm.rank(), compute);
    Optimizer adam = Optimizer.adam(0.01f, SPEC.parameterCount(), compute);
    // A 2 KB cap splits the model into several buckets, so the overlapped path is exercised.
    try (compute;
        DataParallelTrainer trainer =
            DataParallelTrainer.create(comm, model, adam, DATA, 32, 2048, seed)) {
      trainer.broadcastParameters();
      List<Step> out = new ArrayList<>();
      while (trainer.epoch() < EPOCHS) {
        DataParallelTrainer.StepResult r = trainer.step();
        out.add(new Step(r.loss(), model.checksum()));
      }
      return out;
    }
  }

  @Test
  void twoRanksLearnWithIdenticalReplicasAndAReproducibleCurve() {
    Run first = train(5, 2);
    int steps = first.losses().size();
    assertEquals(EPOCHS * 32, steps, "ceil(1024 / 32) steps per epoch");
    for (int step = 0; step < steps; step++) {
      long[] sums = first.checksums().get(step);
      assertEquals(sums[0], sums[1], "IdenticalReplicas after step " + step);
    }
    double start = first.losses().getFirst();
    double end =
        first.losses().subList(steps - 8, steps).stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    assertTrue(end < start / 4, "LossFalls: " + start + " -> " + end);
    System.out.printf("loss %.4f -> %.4f over %d steps%n", start, end, steps);

    Run again = train(5, 2);
    assertEquals(first.losses(), again.losses(), "SameSeedSameCurve");
  }

  @Test
  void twoRanksOnOpenBlasKeepIdenticalReplicasAndLearn() {
    ComputeProbe.Result probe = ComputeProbe.openblas(SETTINGS);
    Assumptions.assumeTrue(probe.usable(), () -> "openblas cannot run here: " + probe.reason());
    Run run = train(5, 2, ComputeKind.OPENBLAS);
    int steps = run.losses().size();
    for (int step = 0; step < steps; step++) {
      long[] sums = run.checksums().get(step);
      assertEquals(sums[0], sums[1], "IdenticalReplicas after step " + step);
    }
    double start = run.losses().getFirst();
    double end =
        run.losses().subList(steps - 8, steps).stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    assertTrue(end < start / 4, "LossFalls on openblas: " + start + " -> " + end);
  }

  /**
   * Gradients in device memory (cublas) need a communicator that reduces device memory (nccl): on
   * the ring the trainer refuses at once with compute_unavailable instead of handing device
   * addresses to the ring's host code. The device compute is the java compute claiming device
   * memory, so this runs without a GPU.
   */
  @Test
  void deviceGradientsOnTheRingAreRefused() {
    JavaCompute java = new JavaCompute(1);
    Compute device =
        (Compute)
            Proxy.newProxyInstance(
                Compute.class.getClassLoader(),
                new Class<?>[] {Compute.class},
                (proxy, method, args) ->
                    method.getName().equals("hostMemory") ? false : method.invoke(java, args));
    List<Communicator> solo = Communicators.localRing(1, SETTINGS);
    try (Mlp model = Mlp.create(SPEC, 1, device)) {
      TrainingException e =
          assertThrows(
              TrainingException.class,
              () ->
                  DataParallelTrainer.create(
                      solo.getFirst(),
                      model,
                      Optimizer.adam(0.01f, SPEC.parameterCount(), device),
                      DATA,
                      32,
                      2048,
                      5));
      assertEquals("compute_unavailable", e.code());
      assertTrue(e.getMessage().contains("ring"), e.getMessage());
    } finally {
      solo.forEach(Communicator::close);
    }
  }

  @Test
  void aNewcomerTakesOverRankZerosReplicaPositionAndOptimizerState() {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    Mlp veteran = Mlp.create(SPEC, 1, 1);
    Optimizer veteranAdam = Optimizer.adam(0.01f, SPEC.parameterCount());
    List<Communicator> solo = Communicators.localRing(1, settings);
    DataParallelTrainer alone =
        DataParallelTrainer.create(solo.getFirst(), veteran, veteranAdam, DATA, 32, 2048, 5);
    for (int i = 0; i < 40; i++) {
      alone.step(); // 40 steps: into the second epoch of 64 steps at one rank
    }
    solo.forEach(Communicator::close);

    Mlp newcomer = Mlp.create(SPEC, 99, 1);
    Optimizer newcomerAdam = Optimizer.adam(0.01f, SPEC.parameterCount());
    List<Communicator> pair = Communicators.localRing(2, settings);
    try {
      var first =
          CompletableFuture.supplyAsync(
              () -> {
                try (DataParallelTrainer t =
                    DataParallelTrainer.create(
                        pair.get(0), veteran, veteranAdam, DATA, 32, 2048, 5)) {
                  t.resumeFrom(alone);
                  t.synchronizeReplicas();
                  return new long[] {t.epoch(), t.globalStep()};
                }
              },
              Thread::startVirtualThread);
      var second =
          CompletableFuture.supplyAsync(
              () -> {
                try (DataParallelTrainer t =
                    DataParallelTrainer.create(
                        pair.get(1), newcomer, newcomerAdam, DATA, 32, 2048, 5)) {
                  t.synchronizeReplicas();
                  return new long[] {t.epoch(), t.globalStep()};
                }
              },
              Thread::startVirtualThread);
      long[] p0 = first.orTimeout(30, TimeUnit.SECONDS).join();
      long[] p1 = second.orTimeout(30, TimeUnit.SECONDS).join();
      assertEquals(veteran.checksum(), newcomer.checksum(), "parameters copied");
      assertEquals(java.util.Arrays.toString(p0), java.util.Arrays.toString(p1), "position copied");
      assertEquals(40, p1[1]);
      assertEquals(veteranAdam.steps(), newcomerAdam.steps());
      for (int k = 0; k < 2; k++) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            veteranAdam.state()[k].toArray(ValueLayout.JAVA_FLOAT),
            newcomerAdam.state()[k].toArray(ValueLayout.JAVA_FLOAT),
            "Adam moment " + k);
      }
    } finally {
      pair.forEach(Communicator::close);
      alone.close();
    }
  }
}
