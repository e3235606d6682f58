package dev.cohort.training;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A multi-layer perceptron in float32: dense layers with ReLU between them, softmax cross-entropy
 * on the last layer's logits, forward and backward passes written as plain loops.
 *
 * <p>Flat layout: all parameters live in one {@code float[]}, and the gradients in another of the
 * same shape, <em>in reverse layer order</em>: the last layer's weights ({@code [out][in]}, row
 * major) and bias first, then the layer before it, down to layer 0. The backward pass produces
 * gradients in that order, so {@link #buckets} are contiguous ranges that become complete one after
 * the other, and a bucket's allreduce can start while the backward pass continues.
 *
 * <p>Performance: the loops keep one weight row in L1 while they sweep the batch (forward and
 * weight gradient), or a block of batch rows while they sweep the weights (input gradient), and use
 * several accumulators in dot products; rows are split over {@code threads} threads. Every output
 * element is computed by one thread in a fixed order, so results do not depend on the number of
 * threads or on scheduling: the same inputs give the same bits.
 *
 * <p>Thread-safety: not thread-safe; one worker owns one model.
 */
public final class Mlp {
  private static final int ROW_BLOCK = 8;

  private final MlpSpec spec;
  private final int depth;
  private final int[] widths;
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final float[] params;
  private final float[] grads;
  private final ForkJoinPool pool;
  private int capacity; // batch rows the activation buffers hold
  private float[][] activations; // activations[l] = input of layer l; [depth] = logits
  private float[][] deltas; // deltas[l] = dLoss/d(output of layer l)

  private Mlp(MlpSpec spec, int threads) {
    this.spec = spec;
    this.depth = spec.depth();
    this.widths = spec.layers().stream().mapToInt(Integer::intValue).toArray();
    this.weightOffset = new int[depth];
    this.biasOffset = new int[depth];
    int offset = 0;
    for (int l = depth - 1; l >= 0; l--) {
      weightOffset[l] = offset;
      offset += widths[l] * widths[l + 1];
      biasOffset[l] = offset;
      offset += widths[l + 1];
    }
    this.params = new float[offset];
    this.grads = new float[offset];
    this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
  }

  /**
   * A model with He-initialised weights (normal, variance 2/fan-in) and zero biases, drawn from
   * {@code seed}: the same seed gives the same parameters on every rank and every run.
   *
   * @param threads threads for the matrix loops; 1 runs everything on the caller's thread
   */
  public static Mlp create(MlpSpec spec, long seed, int threads) {
    Mlp m = new Mlp(spec, threads);
    SplittableRandom random = new SplittableRandom(seed);
    for (int l = 0; l < m.depth; l++) {
      double std = Math.sqrt(2.0 / m.widths[l]);
      int n = m.widths[l] * m.widths[l + 1];
      for (int i = 0; i < n; i++) {
        m.params[m.weightOffset[l] + i] = (float) (gaussian(random) * std);
      }
    }
    return m;
  }

  static double gaussian(SplittableRandom random) {
    // Box-Muller: SplittableRandom has no nextGaussian that is stable across JDK versions.
    double u1 = random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  public MlpSpec spec() {
    return spec;
  }

  /** The flat parameters (see the class comment for the layout); callers may read and write. */
  public float[] parameters() {
    return params;
  }

  /** The flat gradients of the last {@link #forwardBackward}, same layout as the parameters. */
  public float[] gradients() {
    return grads;
  }

  public int weightOffset(int layer) {
    return weightOffset[layer];
  }

  public int biasOffset(int layer) {
    return biasOffset[layer];
  }

  /**
   * Groups the gradient buffer into buckets of at most {@code capBytes} bytes, whole layers each,
   * in the order the backward pass completes them. A layer larger than the cap gets a bucket of its
   * own (as in PyTorch DDP).
   */
  public List<GradientBucket> buckets(long capBytes) {
    List<GradientBucket> result = new ArrayList<>();
    int start = 0;
    int end = 0;
    for (int l = depth - 1; l >= 0; l--) {
      int layerEnd = biasOffset[l] + widths[l + 1];
      if (end > start && (long) (layerEnd - start) * Float.BYTES > capBytes) {
        result.add(new GradientBucket(result.size(), start, end - start, l + 1));
        start = end;
      }
      end = layerEnd;
    }
    result.add(new GradientBucket(result.size(), start, end - start, 0));
    return result;
  }

  /**
   * Forward and backward pass over {@code batch} samples: {@code x} holds {@code batch} rows of
   * {@code inputs} features, {@code labels} their classes. Fills {@link #gradients()} with the
   * gradient of {@code gradScale × Σ cross-entropy} (use {@code 1/batch} for the mean), calling
   * {@code layerDone} with each layer index as soon as that layer's gradients are final (from the
   * last layer down to 0). Returns the summed (not averaged) cross-entropy of the batch.
   */
  public double forwardBackward(
      float[] x, int[] labels, int batch, float gradScale, IntConsumer layerDone) {
    forward(x, batch);
    double lossSum = softmaxCrossEntropy(labels, batch, gradScale);
    for (int l = depth - 1; l >= 0; l--) {
      backwardLayer(l, batch);
      layerDone.accept(l);
    }
    return lossSum;
  }

  /** Summed cross-entropy of a batch, forward only. */
  public double loss(float[] x, int[] labels, int batch) {
    forward(x, batch);
    float[] logits = activations[depth];
    int c = widths[depth];
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      sum += crossEntropyRow(logits, b * c, c, labels[b], null, 0, 0);
    }
    return sum;
  }

  /** Fraction of {@code batch} samples whose largest logit is their label. */
  public double accuracy(float[] x, int[] labels, int batch) {
    forward(x, batch);
    float[] logits = activations[depth];
    int c = widths[depth];
    int correct = 0;
    for (int b = 0; b < batch; b++) {
      int best = 0;
      for (int k = 1; k < c; k++) {
        if (logits[b * c + k] > logits[b * c + best]) {
          best = k;
        }
      }
      correct += best == labels[b] ? 1 : 0;
    }
    return batch == 0 ? 0 : (double) correct / batch;
  }

  /** A 64-bit digest of the exact parameter bits, to compare replicas. */
  public long checksum() {
    long h = 1125899906842597L;
    for (float p : params) {
      h = 31 * h + Float.floatToRawIntBits(p);
    }
    return h;
  }

  // ---------------------------------------------------------------------------------------------

  private void ensureCapacity(int batch) {
    if (batch <= capacity) {
      return;
    }
    activations = new float[depth + 1][];
    deltas = new float[depth + 1][];
    for (int l = 0; l <= depth; l++) {
      activations[l] = new float[batch * widths[l]];
      deltas[l] = new float[batch * widths[l]];
    }
    capacity = batch;
  }

  private void forward(float[] x, int batch) {
    if (x.length < batch * widths[0]) {
      throw new IllegalArgumentException(
          "x holds " + x.length + " values, a batch of " + batch + " needs " + batch * widths[0]);
    }
    ensureCapacity(batch);
    System.arraycopy(x, 0, activations[0], 0, batch * widths[0]);
    for (int l = 0; l < depth; l++) {
      int in = widths[l];
      int out = widths[l + 1];
      float[] input = activations[l];
      float[] output = activations[l + 1];
      int wOff = weightOffset[l];
      int bOff = biasOffset[l];
      boolean relu = l < depth - 1;
      parallel(
          (out + ROW_BLOCK - 1) / ROW_BLOCK,
          block -> {
            int oEnd = Math.min(out, (block + 1) * ROW_BLOCK);
            for (int o = block * ROW_BLOCK; o < oEnd; o++) {
              int w = wOff + o * in;
              float bias = params[bOff + o];
              for (int b = 0; b < batch; b++) {
                float z = dot(params, w, input, b * in, in) + bias;
                output[b * out + o] = relu && z < 0 ? 0f : z;
              }
            }
          });
    }
  }

  /** Writes d(gradScale × Σ CE)/d(logits) into deltas[depth] and returns Σ CE. */
  private double softmaxCrossEntropy(int[] labels, int batch, float gradScale) {
    float[] logits = activations[depth];
    float[] d = deltas[depth];
    int c = widths[depth];
    double sum = 0;
    for (int b = 0; b < batch; b++) {
      if (labels[b] < 0 || labels[b] >= c) {
        throw TrainingError.INVALID_LABEL.exception(
            "label " + labels[b] + " is outside [0, " + c + ")");
      }
      sum += crossEntropyRow(logits, b * c, c, labels[b], d, b * c, gradScale);
    }
    return sum;
  }

  /** Cross-entropy of one row with a max-shifted softmax; writes its scaled gradient if asked. */
  private static double crossEntropyRow(
      float[] logits, int off, int c, int label, float[] d, int dOff, float scale) {
    float max = Float.NEGATIVE_INFINITY;
    for (int k = 0; k < c; k++) {
      max = Math.max(max, logits[off + k]);
    }
    double sumExp = 0;
    for (int k = 0; k < c; k++) {
      sumExp += Math.exp(logits[off + k] - max);
    }
    double logSum = Math.log(sumExp);
    if (d != null) {
      for (int k = 0; k < c; k++) {
        double p = Math.exp(logits[off + k] - max - logSum);
        d[dOff + k] = (float) ((p - (k == label ? 1 : 0)) * scale);
      }
    }
    return logSum - (logits[off + label] - max);
  }

  private void backwardLayer(int l, int batch) {
    int in = widths[l];
    int out = widths[l + 1];
    float[] input = activations[l];
    float[] delta = deltas[l + 1];
    int wOff = weightOffset[l];
    int bOff = biasOffset[l];
    // Weight and bias gradients: row o of dW is Σ_b delta[b][o] · input[b].
    parallel(
        (out + ROW_BLOCK - 1) / ROW_BLOCK,
        block -> {
          int oEnd = Math.min(out, (block + 1) * ROW_BLOCK);
          for (int o = block * ROW_BLOCK; o < oEnd; o++) {
            int g = wOff + o * in;
            java.util.Arrays.fill(grads, g, g + in, 0f);
            float bias = 0;
            for (int b = 0; b < batch; b++) {
              float s = delta[b * out + o];
              bias += s;
              if (s != 0f) {
                axpy(s, input, b * in, grads, g, in);
              }
            }
            grads[bOff + o] = bias;
          }
        });
    if (l == 0) {
      return; // nobody needs the gradient of the input data
    }
    // Input gradient through ReLU: delta[l][b] = (Σ_o delta[b][o] · W[o]) ⊙ (input[b] > 0).
    float[] prev = deltas[l];
    parallel(
        (batch + ROW_BLOCK - 1) / ROW_BLOCK,
        block -> {
          int bStart = block * ROW_BLOCK;
          int bEnd = Math.min(batch, bStart + ROW_BLOCK);
          java.util.Arrays.fill(prev, bStart * in, bEnd * in, 0f);
          for (int o = 0; o < out; o++) {
            int w = wOff + o * in;
            for (int b = bStart; b < bEnd; b++) {
              float s = delta[b * out + o];
              if (s != 0f) {
                axpy(s, params, w, prev, b * in, in);
              }
            }
          }
          for (int i = bStart * in; i < bEnd * in; i++) {
            if (input[i] <= 0f) {
              prev[i] = 0f;
            }
          }
        });
  }

  private void parallel(int blocks, IntConsumer body) {
    if (pool == null || blocks < 2) {
      for (int i = 0; i < blocks; i++) {
        body.accept(i);
      }
    } else {
      pool.submit(() -> IntStream.range(0, blocks).parallel().forEach(body)).join();
    }
  }

  /** Dot product with four independent accumulators, so the JIT can keep several FMAs in flight. */
  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += a[aOff + i] * b[bOff + i];
      s1 += a[aOff + i + 1] * b[bOff + i + 1];
      s2 += a[aOff + i + 2] * b[bOff + i + 2];
      s3 += a[aOff + i + 3] * b[bOff + i + 3];
    }
    for (; i < n; i++) {
      s0 += a[aOff + i] * b[bOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** y += s·x over n elements; a loop the JIT vectorises. */
  static void axpy(float s, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] += s * x[xOff + i];
    }
  }

  /** Releases the worker threads. */
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
