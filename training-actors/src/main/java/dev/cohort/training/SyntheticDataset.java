package dev.cohort.training;

import dev.cohort.training.internal.JavaCompute;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A learnable synthetic classification dataset: features drawn from N(0, 1), labels given by a
 * fixed random teacher network (features → 32 ReLU units → classes, argmax), both from one seed. A
 * student MLP can fit it well, so a falling loss shows that training works; the same arguments give
 * the same bytes everywhere ({@code ./cohort dataset synth} writes these records to a topic).
 */
public final class SyntheticDataset {
  /** Hidden width of the teacher network. */
  public static final int TEACHER_HIDDEN = 32;

  private SyntheticDataset() {}

  /** {@code samples} records in the {@link SampleCodec} format. */
  public static List<byte[]> records(int samples, int features, int classes, long seed) {
    if (samples < 0 || features < 1 || classes < 2) {
      throw TrainingError.INVALID_DATASET.exception(
          "samples must be >= 0, features >= 1 and classes >= 2; got "
              + samples
              + ", "
              + features
              + ", "
              + classes);
    }
    SplittableRandom random = new SplittableRandom(seed);
    // Teacher weights first, then samples: the teacher does not depend on the sample count.
    float[] w1 = gaussian(random, TEACHER_HIDDEN * features, Math.sqrt(2.0 / features));
    float[] w2 = gaussian(random, classes * TEACHER_HIDDEN, Math.sqrt(2.0 / TEACHER_HIDDEN));
    List<byte[]> out = new ArrayList<>(samples);
    float[] x = new float[features];
    float[] h = new float[TEACHER_HIDDEN];
    for (int s = 0; s < samples; s++) {
      for (int i = 0; i < features; i++) {
        x[i] = (float) Mlp.gaussian(random);
      }
      for (int j = 0; j < TEACHER_HIDDEN; j++) {
        h[j] = Math.max(0f, JavaCompute.dot(w1, j * features, x, 0, features));
      }
      int label = 0;
      float best = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        float logit = JavaCompute.dot(w2, c * TEACHER_HIDDEN, h, 0, TEACHER_HIDDEN);
        if (logit > best) {
          best = logit;
          label = c;
        }
      }
      out.add(SampleCodec.encode(label, x));
    }
    return out;
  }

  private static float[] gaussian(SplittableRandom random, int n, double std) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (Mlp.gaussian(random) * std);
    }
    return w;
  }
}
