package dev.cohort.training.collective;

import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobStatus;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeChoice;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.NcclProbe;
import dev.cohort.training.internal.TrainingWorker;
import dev.cohort.training.internal.WorkerDevice;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.Props;

/**
 * The cublas checks of {@code gpu-check.sh} (run by {@link GpuCheck} on a machine with a GPU): the
 * cublas compute agrees with the java reference, and the reference model trains as a job on cublas
 * + nccl, whose samples/s it prints as {@code bench=training_job ...}. Stateless.
 */
final class CublasGpuCheck {
  private CublasGpuCheck() {}

  /**
   * cuBLAS and the PTX kernels on GPU 0 against the java reference: four Adam training steps of an
   * MLP with odd widths (forward, backward, optimizer), compared within float tolerance.
   */
  static boolean agreement(TrainingSettings settings) {
    ComputeProbe.Result probe = ComputeProbe.cublas(settings);
    if (!probe.usable()) {
      System.out.println("check=cublas_agreement result=FAIL reason=\"" + probe.reason() + "\"");
      return false;
    }
    MlpSpec spec = MlpSpec.of(67, 129, 33, 5);
    int batch = 13;
    SplittableRandom random = new SplittableRandom(3);
    double worst = 0;
    try (Compute gpu = Computes.create(new ComputeChoice(ComputeKind.CUBLAS, ""), 1, 0, settings);
        Mlp reference = Mlp.create(spec, 7, 1);
        Mlp model = Mlp.create(spec, 7, gpu)) {
      Optimizer refAdam = Optimizer.adam(0.01f, spec.parameterCount());
      Optimizer adam = Optimizer.adam(0.01f, spec.parameterCount(), gpu);
      for (int step = 0; step < 4; step++) {
        float[] x = new float[batch * spec.inputs()];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        int[] labels = new int[batch];
        for (int b = 0; b < batch; b++) {
          labels[b] = random.nextInt(spec.classes());
        }
        double lr = reference.forwardBackward(x, labels, batch, 1f / batch, l -> {});
        double lg = model.forwardBackward(x, labels, batch, 1f / batch, l -> {});
        worst = Math.max(worst, Math.abs(lr - lg) / batch);
        worst = Math.max(worst, maxError(reference.copyGradients(), model.copyGradients()));
        refAdam.step(reference.parameters(), reference.gradients());
        adam.step(model.parameters(), model.gradients());
        worst = Math.max(worst, maxError(reference.copyParameters(), model.copyParameters()));
      }
    } catch (RuntimeException e) {
      System.out.println("check=cublas_agreement result=FAIL error=\"" + e + "\"");
      return false;
    }
    boolean ok = worst < 1e-3;
    System.out.println(
        String.format(
            Locale.ROOT,
            "check=cublas_agreement result=%s max_error=%.2e library=%s",
            ok ? "ok" : "FAIL",
            worst,
            probe.cublas().path()));
    return ok;
  }

  private static double maxError(float[] expected, float[] actual) {
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / (1 + Math.abs(expected[i])));
    }
    return worst;
  }

  /**
   * The reference model (SimpleModel, Adam, batch 32 per rank) as a job on cublas + nccl through
   * the coordinator and {@code ranks} worker actors on GPU 0: parameters, activations and gradients
   * in device memory, gradient buckets reduced by NCCL on the device. Prints the job's samples/s.
   */
  static boolean trainingJob(TrainingSettings settings, NcclProbe probe, int ranks) {
    MlpSpec simple = MlpSpec.SIMPLE_MODEL;
    List<byte[]> records =
        SyntheticDataset.records(32 * ranks * 200, simple.inputs(), simple.classes(), 1);
    DatasetSource source = topic -> CompletableFuture.completedFuture(records);
    TrainingJobSpec spec =
        new TrainingJobSpec(
            "gpu-check-cublas",
            simple,
            "synthetic",
            ranks,
            ranks,
            Backend.NCCL,
            1,
            32,
            new OptimizerSpec("adam", 0.001f, 0f),
            5,
            100000,
            25,
            ComputeKind.CUBLAS);
    try {
      JobStatus s =
          GpuCheck.runJob(
              settings.withRendezvousWait(Duration.ofMillis(300)),
              spec,
              Duration.ofSeconds(150),
              false,
              (system, coordinator) -> {
                for (int r = 0; r < ranks; r++) {
                  String id = "gpu-check-cublas-" + r;
                  system.systemActorOf(
                      TrainingWorker.create(
                          id,
                          coordinator,
                          source,
                          settings,
                          new WorkerDevice(0, probe.reason()).probed(settings)),
                      id,
                      Props.empty());
                }
              });
      boolean completed =
          s.phase() == dev.cohort.training.JobPhase.COMPLETED && !s.losses().isEmpty();
      boolean onCublas =
          s.workers().size() == ranks
              && s.workers().stream()
                  .allMatch(w -> w.compute().equals("cublas") && w.backend().equals("nccl"));
      boolean ok = completed && onCublas;
      System.out.println(
          String.format(
              Locale.ROOT,
              "check=cublas_training_job ranks=%d result=%s state=%s steps=%d loss_start=%.4f loss_end=%.4f workers=%s reason=\"%s\"",
              ranks,
              ok ? "ok" : "FAIL",
              s.phase(),
              s.step(),
              completed ? s.losses().getFirst().loss() : Double.NaN,
              completed ? s.losses().getLast().loss() : Double.NaN,
              s.workers(),
              s.reason().orElse("")));
      System.out.println(
          String.format(
              Locale.ROOT,
              "bench=training_job model=simple compute=cublas backend=nccl ranks=%d batch=32 steps=%d samples_per_s=%.1f",
              ranks,
              s.step(),
              s.samplesPerSecond()));
      return ok;
    } catch (Exception e) {
      System.out.println("check=cublas_training_job result=FAIL error=\"" + e + "\"");
      return false;
    }
  }
}
