package dev.cohort.training.compute;

/**
 * Softmax cross-entropy on host arrays, the one implementation every compute shares (the logits of
 * a batch are a few hundred values, so devices copy them to the host for it). Stateless.
 */
public final class SoftmaxCrossEntropy {
  private SoftmaxCrossEntropy() {}

  /**
   * Summed cross-entropy of {@code rows} rows of {@code classes} logits (max-shifted softmax);
   * writes {@code scale × d(loss)/d(logits)} into {@code d} unless it is null.
   */
  public static double rows(
      float[] logits, int rows, int classes, int[] labels, float scale, float[] d) {
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      int off = r * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits[off + k]);
      }
      double sumExp = 0;
      for (int k = 0; k < classes; k++) {
        sumExp += Math.exp(logits[off + k] - max);
      }
      double logSum = Math.log(sumExp);
      if (d != null) {
        for (int k = 0; k < classes; k++) {
          double p = Math.exp(logits[off + k] - max - logSum);
          d[off + k] = (float) ((p - (k == labels[r] ? 1 : 0)) * scale);
        }
      }
      sum += logSum - (logits[off + labels[r]] - max);
    }
    return sum;
  }
}
