package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MlpTest {

  static float[] randomInputs(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    MlpSpec spec = MlpSpec.of(6, 9, 7, 4);
    int batch = 5;
    Mlp model = Mlp.create(spec, 42, 1);
    float[] x = randomInputs(batch * 6, 7);
    int[] labels = {0, 3, 1, 2, 3};
    model.forwardBackward(x, labels, batch, 1f / batch, l -> {});
    float[] analytic = model.copyGradients();
    float[] p = model.copyParameters();
    float eps = 1e-3f;
    double base = model.loss(x, labels, batch) / batch;
    int checked = 0;
    int kinks = 0;
    for (int i = 0; i < p.length; i++) {
      float saved = p[i];
      p[i] = saved + eps;
      model.loadParameters(p);
      double plus = model.loss(x, labels, batch) / batch;
      p[i] = saved - eps;
      model.loadParameters(p);
      double minus = model.loss(x, labels, batch) / batch;
      p[i] = saved;
      model.loadParameters(p);
      double numeric = (plus - minus) / (2 * eps);
      double tolerance = 5e-4 + 1e-2 * Math.abs(numeric);
      if (Math.abs(numeric - analytic[i]) > tolerance) {
        // A ReLU input within eps of 0 makes the loss non-differentiable there: the one-sided
        // slopes then disagree. Such parameters are skipped; anything else is a wrong gradient.
        double right = (plus - base) / eps;
        double left = (base - minus) / eps;
        boolean kink = Math.abs(right - left) > 20 * 5e-4;
        assertTrue(kink, "parameter " + i + ": analytic " + analytic[i] + " numeric " + numeric);
        kinks++;
        continue;
      }
      checked++;
    }
    assertTrue(kinks <= spec.parameterCount() / 20, kinks + " parameters sit on a ReLU kink");
    assertTrue(checked >= spec.parameterCount() - kinks, "checked " + checked);
  }

  @Test
  void resultsDoNotDependOnTheNumberOfThreads() {
    MlpSpec spec = MlpSpec.of(33, 70, 19, 5);
    int batch = 21;
    float[] x = randomInputs(batch * 33, 3);
    int[] labels = new int[batch];
    for (int b = 0; b < batch; b++) {
      labels[b] = b % 5;
    }
    Mlp one = Mlp.create(spec, 9, 1);
    Mlp three = Mlp.create(spec, 9, 3);
    try {
      double l1 = one.forwardBackward(x, labels, batch, 1f / batch, l -> {});
      double l3 = three.forwardBackward(x, labels, batch, 1f / batch, l -> {});
      assertEquals(l1, l3);
      assertArrayEquals(one.copyGradients(), three.copyGradients());
    } finally {
      three.close();
    }
  }

  @Test
  void layersReportDoneFromLastToFirst() {
    Mlp model = Mlp.create(MlpSpec.of(4, 5, 6, 3), 1, 1);
    List<Integer> order = new ArrayList<>();
    model.forwardBackward(randomInputs(8, 1), new int[] {0, 2}, 2, 0.5f, order::add);
    assertEquals(List.of(2, 1, 0), order);
  }

  @Test
  void bucketsCoverTheBufferInReverseLayerOrder() {
    Mlp model = Mlp.create(MlpSpec.SIMPLE_MODEL, 1, 1);
    int params = MlpSpec.SIMPLE_MODEL.parameterCount();
    assertEquals(1024 * 2048 + 2048 + 2048 * 1024 + 1024 + 1024 * 10 + 10, params);
    for (long cap : new long[] {1, 9L << 20, 25L << 20, 1L << 40}) {
      List<GradientBucket> buckets = model.buckets(cap);
      int next = 0;
      int lastLayer = Integer.MAX_VALUE;
      for (GradientBucket b : buckets) {
        assertEquals(next, b.offset(), "buckets are contiguous");
        assertTrue(b.readyAfterLayer() < lastLayer, "ready order follows the backward pass");
        lastLayer = b.readyAfterLayer();
        next += b.length();
      }
      assertEquals(params, next, "buckets cover every gradient");
      // The first bucket holds the last layer: it is complete before the others.
      assertEquals(0, model.weightOffset(2));
    }
    // A cap below every layer: one bucket per layer. 25 MB: the two 8 MB layers and the head fit.
    assertEquals(3, model.buckets(1).size());
    assertEquals(2, model.buckets(9L << 20).size());
    assertEquals(1, model.buckets(25L << 20).size());
  }

  @Test
  void badShapesAreRejectedWithTheirReason() {
    TrainingException empty = assertThrows(TrainingException.class, () -> new MlpSpec(List.of(4)));
    assertEquals("invalid_model", empty.code());
    TrainingException zero = assertThrows(TrainingException.class, () -> MlpSpec.of(4, 0, 2));
    assertTrue(zero.getMessage().contains("layer 1"), zero.getMessage());
  }

  @Test
  void optimizersReduceTheLossOfOneBatch() {
    for (String kind : List.of("sgd", "adam")) {
      MlpSpec spec = MlpSpec.of(8, 16, 3);
      Mlp model = Mlp.create(spec, 5, 1);
      Optimizer opt =
          kind.equals("sgd") ? Optimizer.sgd(0.1f) : Optimizer.adam(0.01f, spec.parameterCount());
      float[] x = randomInputs(16 * 8, 11);
      int[] labels = new int[16];
      for (int b = 0; b < 16; b++) {
        labels[b] = b % 3;
      }
      double first = model.loss(x, labels, 16);
      for (int step = 0; step < 50; step++) {
        model.forwardBackward(x, labels, 16, 1f / 16, l -> {});
        opt.step(model.parameters(), model.gradients());
      }
      double last = model.loss(x, labels, 16);
      assertTrue(last < first / 2, kind + ": loss " + first + " -> " + last);
      assertEquals(50, opt.steps());
    }
  }
}
