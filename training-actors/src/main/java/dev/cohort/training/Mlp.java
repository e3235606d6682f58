package dev.cohort.training;

import dev.cohort.training.compute.Compute;
import dev.cohort.training.internal.JavaCompute;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * A multi-layer perceptron in float32: dense layers with ReLU between them, softmax cross-entropy
 * on the last layer's logits, forward and backward passes as matrix multiplies on a {@link Compute}
 * (plain Java loops, OpenBLAS or cuBLAS).
 *
 * <p>Flat layout: all parameters live in one buffer of the compute, and the gradients in another of
 * the same shape, <em>in reverse layer order</em>: the last layer's weights ({@code [out][in]}, row
 * major) and bias first, then the layer before it, down to layer 0. The backward pass produces
 * gradients in that order, so {@link #buckets} are contiguous ranges that become complete one after
 * the other, and a bucket's allreduce can start while the backward pass continues.
 *
 * <p>Per layer (batch rows B, in I, out O): forward {@code out = in·Wᵀ + b} then ReLU (except the
 * last layer); backward {@code dW = δᵀ·in}, {@code db = Σ_rows δ}, {@code δ_in = (δ·W) ⊙ (in > 0)}.
 * Parameters, gradients, activations and deltas all live in the compute's memory (off-heap for
 * openblas, on the device for cublas); only the input batch is copied in and the logits out.
 *
 * <p>Thread-safety: not thread-safe; one worker owns one model.
 */
public final class Mlp implements AutoCloseable {
  private final MlpSpec spec;
  private final Compute compute;
  private final boolean ownsCompute;
  private final int depth;
  private final int[] widths;
  private final int[] weightOffset;
  private final int[] biasOffset;
  private final int parameterCount;
  private final MemorySegment params;
  private final MemorySegment grads;
  private int capacity; // batch rows the activation buffers hold
  private MemorySegment[] activations; // activations[l] = input of layer l; [depth] = logits
  private MemorySegment[] deltas; // deltas[l] = dLoss/d(output of layer l)

  private Mlp(MlpSpec spec, Compute compute, boolean ownsCompute) {
    this.spec = spec;
    this.compute = compute;
    this.ownsCompute = ownsCompute;
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
    this.parameterCount = offset;
    this.params = compute.allocate(offset);
    this.grads = compute.allocate(offset);
  }

  /**
   * A model on the {@code java} compute with {@code threads} threads (1 runs everything on the
   * caller's thread); the model owns that compute and closes it with itself.
   */
  public static Mlp create(MlpSpec spec, long seed, int threads) {
    return init(new Mlp(spec, new JavaCompute(threads), true), seed);
  }

  /**
   * A model with He-initialised weights (normal, variance 2/fan-in) and zero biases, drawn from
   * {@code seed}: the same seed gives the same parameters on every rank, run and compute. The
   * caller keeps ownership of {@code compute}.
   */
  public static Mlp create(MlpSpec spec, long seed, Compute compute) {
    return init(new Mlp(spec, compute, false), seed);
  }

  private static Mlp init(Mlp m, long seed) {
    float[] p = new float[m.parameterCount];
    SplittableRandom random = new SplittableRandom(seed);
    for (int l = 0; l < m.depth; l++) {
      double std = Math.sqrt(2.0 / m.widths[l]);
      int n = m.widths[l] * m.widths[l + 1];
      for (int i = 0; i < n; i++) {
        p[m.weightOffset[l] + i] = (float) (gaussian(random) * std);
      }
    }
    m.loadParameters(p);
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

  public Compute compute() {
    return compute;
  }

  public int parameterCount() {
    return parameterCount;
  }

  /** The flat parameters in the compute's memory (see the class comment for the layout). */
  public MemorySegment parameters() {
    return params;
  }

  /** The flat gradients of the last {@link #forwardBackward}, same layout as the parameters. */
  public MemorySegment gradients() {
    return grads;
  }

  /** A host copy of the parameters. */
  public float[] copyParameters() {
    float[] p = new float[parameterCount];
    compute.read(params, 0, p, 0, parameterCount);
    return p;
  }

  /** A host copy of the gradients. */
  public float[] copyGradients() {
    float[] g = new float[parameterCount];
    compute.read(grads, 0, g, 0, parameterCount);
    return g;
  }

  /** Overwrites the parameters with {@code values} (the flat layout, {@link #parameterCount()}). */
  public void loadParameters(float[] values) {
    if (values.length != parameterCount) {
      throw new IllegalArgumentException(
          values.length + " values for a model of " + parameterCount + " parameters");
    }
    compute.write(values, 0, params, 0, parameterCount);
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
   * {@code layerDone} with each layer index as soon as that layer's gradients are queued (from the
   * last layer down to 0; on a device compute they may still be running on its stream). Returns the
   * summed (not averaged) cross-entropy of the batch.
   */
  public double forwardBackward(
      float[] x, int[] labels, int batch, float gradScale, IntConsumer layerDone) {
    int c = widths[depth];
    for (int b = 0; b < batch; b++) {
      if (labels[b] < 0 || labels[b] >= c) {
        throw TrainingError.INVALID_LABEL.exception(
            "label " + labels[b] + " is outside [0, " + c + ")");
      }
    }
    forward(x, batch);
    double lossSum =
        compute.softmaxCrossEntropy(
            activations[depth], 0, batch, c, labels, gradScale, deltas[depth], 0);
    for (int l = depth - 1; l >= 0; l--) {
      backwardLayer(l, batch);
      layerDone.accept(l);
    }
    return lossSum;
  }

  /** Summed cross-entropy of a batch, forward only. */
  public double loss(float[] x, int[] labels, int batch) {
    forward(x, batch);
    return compute.softmaxCrossEntropy(
        activations[depth], 0, batch, widths[depth], labels, 1f, null, 0);
  }

  /** Fraction of {@code batch} samples whose largest logit is their label. */
  public double accuracy(float[] x, int[] labels, int batch) {
    forward(x, batch);
    int c = widths[depth];
    float[] logits = new float[batch * c];
    compute.read(activations[depth], 0, logits, 0, logits.length);
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
    for (float p : copyParameters()) {
      h = 31 * h + Float.floatToRawIntBits(p);
    }
    return h;
  }

  // ---------------------------------------------------------------------------------------------

  private void ensureCapacity(int batch) {
    if (batch <= capacity) {
      return;
    }
    freeActivations();
    activations = new MemorySegment[depth + 1];
    deltas = new MemorySegment[depth + 1];
    for (int l = 0; l <= depth; l++) {
      activations[l] = compute.allocate((long) batch * widths[l]);
      deltas[l] = l == 0 ? null : compute.allocate((long) batch * widths[l]);
    }
    capacity = batch;
  }

  private void freeActivations() {
    if (activations == null) {
      return;
    }
    for (int l = 0; l <= depth; l++) {
      compute.free(activations[l]);
      if (deltas[l] != null) {
        compute.free(deltas[l]);
      }
    }
  }

  private void forward(float[] x, int batch) {
    if (x.length < batch * widths[0]) {
      throw new IllegalArgumentException(
          "x holds " + x.length + " values, a batch of " + batch + " needs " + batch * widths[0]);
    }
    ensureCapacity(batch);
    compute.write(x, 0, activations[0], 0, batch * widths[0]);
    for (int l = 0; l < depth; l++) {
      int in = widths[l];
      int out = widths[l + 1];
      // out[B][O] = in[B][I] · W[O][I]ᵀ, then + bias and ReLU
      compute.gemm(
          false,
          true,
          batch,
          out,
          in,
          1f,
          activations[l],
          0,
          in,
          params,
          weightOffset[l],
          in,
          0f,
          activations[l + 1],
          0,
          out);
      compute.addBias(activations[l + 1], 0, batch, out, params, biasOffset[l], l < depth - 1);
    }
  }

  private void backwardLayer(int l, int batch) {
    int in = widths[l];
    int out = widths[l + 1];
    MemorySegment delta = deltas[l + 1];
    // dW[O][I] = δ[B][O]ᵀ · in[B][I];  db[O] = Σ_b δ[b][O]
    compute.gemm(
        true,
        false,
        out,
        in,
        batch,
        1f,
        delta,
        0,
        out,
        activations[l],
        0,
        in,
        0f,
        grads,
        weightOffset[l],
        in);
    compute.columnSums(delta, 0, batch, out, grads, biasOffset[l]);
    if (l == 0) {
      return; // nobody needs the gradient of the input data
    }
    // δ_in[B][I] = δ[B][O] · W[O][I], through ReLU: zero where the input was not positive
    compute.gemm(
        false,
        false,
        batch,
        in,
        out,
        1f,
        delta,
        0,
        out,
        params,
        weightOffset[l],
        in,
        0f,
        deltas[l],
        0,
        in);
    compute.reluBackward(deltas[l], 0, activations[l], 0, (long) batch * in);
  }

  /** Frees the model's buffers, and its compute if the model made it. */
  @Override
  public void close() {
    freeActivations();
    activations = null;
    capacity = 0;
    compute.free(params);
    compute.free(grads);
    if (ownsCompute) {
      compute.close();
    }
  }
}
