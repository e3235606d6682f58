package dev.cohort.training;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Forward + backward + optimizer throughput of one worker on a model (default the reference
 * SimpleModel 1024-2048-1024-10) on one compute, printing
 *
 * <pre>
 * bench=mlp_train model=1024-2048-1024-10 compute=openblas optimizer=adam batch=64 threads=1 step_ms=… fwd_bwd_ms=… optimizer_ms=… samples_per_s=…
 * </pre>
 *
 * Arguments: batch (default 64), threads (default 1), steps (default 10), compute (java, openblas;
 * default java), optimizer (adam, sgd; default adam), then layer widths.
 */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    ComputeKind kind = args.length > 3 ? ComputeKind.parse(args[3]) : ComputeKind.JAVA;
    String optimizerType = args.length > 4 ? args[4] : "adam";
    MlpSpec spec = MlpSpec.SIMPLE_MODEL;
    if (args.length > 5) {
      Integer[] layers = new Integer[args.length - 5];
      for (int i = 5; i < args.length; i++) {
        layers[i - 5] = Integer.parseInt(args[i]);
      }
      spec = MlpSpec.of(layers);
    }
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    try (Compute compute =
            Computes.create(Computes.choose(kind, -1, settings), threads, -1, settings);
        Mlp model = Mlp.create(spec, 1, compute)) {
      Optimizer optimizer =
          new OptimizerSpec(optimizerType, 1e-3f, 0f).create(spec.parameterCount(), compute);
      SplittableRandom random = new SplittableRandom(2);
      float[] x = new float[batch * spec.inputs()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) Mlp.gaussian(random);
      }
      int[] labels = new int[batch];
      for (int b = 0; b < batch; b++) {
        labels[b] = random.nextInt(spec.classes());
      }
      for (int i = 0; i < 2; i++) { // warm-up: JIT compilation of the loops
        model.forwardBackward(x, labels, batch, 1f / batch, l -> {});
        optimizer.step(model.parameters(), model.gradients());
      }
      long fwdBwd = 0;
      long opt = 0;
      for (int i = 0; i < steps; i++) {
        long t0 = System.nanoTime();
        model.forwardBackward(x, labels, batch, 1f / batch, l -> {});
        long t1 = System.nanoTime();
        optimizer.step(model.parameters(), model.gradients());
        compute.synchronize();
        long t2 = System.nanoTime();
        fwdBwd += t1 - t0;
        opt += t2 - t1;
      }
      double seconds = (fwdBwd + opt) / 1e9;
      String shape = String.join("-", spec.layers().stream().map(String::valueOf).toList());
      System.out.println(
          String.format(
              Locale.ROOT,
              "bench=mlp_train model=%s compute=%s optimizer=%s batch=%d threads=%d step_ms=%.2f fwd_bwd_ms=%.2f optimizer_ms=%.2f samples_per_s=%.1f",
              shape,
              compute.kind().id(),
              optimizerType,
              batch,
              threads,
              seconds * 1e3 / steps,
              fwdBwd / 1e6 / steps,
              opt / 1e6 / steps,
              steps * (double) batch / seconds));
    }
  }
}
