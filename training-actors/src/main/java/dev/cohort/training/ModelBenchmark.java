package dev.cohort.training;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Forward + backward + Adam throughput of one worker on a model (default the reference SimpleModel
 * 1024-2048-1024-10), printing
 *
 * <pre>bench=mlp_train model=1024-2048-1024-10 batch=64 threads=1 samples_per_s=…</pre>
 *
 * Arguments: batch (default 64), threads (default 1), steps (default 10), then layer widths.
 */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    MlpSpec spec = MlpSpec.SIMPLE_MODEL;
    if (args.length > 3) {
      Integer[] layers = new Integer[args.length - 3];
      for (int i = 3; i < args.length; i++) {
        layers[i - 3] = Integer.parseInt(args[i]);
      }
      spec = MlpSpec.of(layers);
    }
    Mlp model = Mlp.create(spec, 1, threads);
    Optimizer adam = Optimizer.adam(1e-3f, spec.parameterCount());
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
      adam.step(model.parameters(), model.gradients());
    }
    long start = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      model.forwardBackward(x, labels, batch, 1f / batch, l -> {});
      adam.step(model.parameters(), model.gradients());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String shape = String.join("-", spec.layers().stream().map(String::valueOf).toList());
    System.out.println(
        String.format(
            Locale.ROOT,
            "bench=mlp_train model=%s batch=%d threads=%d step_ms=%.1f samples_per_s=%.1f",
            shape,
            batch,
            threads,
            seconds * 1e3 / steps,
            steps * (double) batch / seconds));
    model.close();
  }
}
