package dev.cohort.training.compute;

import java.lang.foreign.MemorySegment;

/**
 * The arithmetic of one model replica: float32 buffers and the operations the MLP and its
 * optimizers need (matrix multiply with transposes, bias and ReLU, column sums, softmax
 * cross-entropy, SGD and Adam updates). Implementations: {@code java} (plain loops on heap arrays,
 * the reference), {@code openblas} (off-heap memory, {@code cblas_sgemm}), {@code cublas} (device
 * memory). Buffers are {@link MemorySegment}s made by {@link #allocate} of the same compute; every
 * offset and count is in floats, every matrix row-major.
 *
 * <p>Where {@link #hostMemory()} is true the buffers are host memory that communicators can reduce
 * in place; otherwise (cublas) they hold device addresses, only usable by this compute and by a
 * device communicator on the same device. Operations may be queued ({@link #synchronize} waits for
 * them); reads to the host ({@link #read}, {@link #softmaxCrossEntropy}) wait by themselves.
 *
 * <p>Not thread-safe: one worker thread drives one compute (a compute may use threads of its own).
 */
public interface Compute extends AutoCloseable {

  ComputeKind kind();

  /** Threads one operation may use (the worker's share of the cores; 1 on a GPU). */
  int threads();

  /** True when buffers are host memory (java, openblas), false for device memory (cublas). */
  boolean hostMemory();

  /** A zeroed buffer of {@code floats} values. */
  MemorySegment allocate(long floats);

  /** Releases a buffer of this compute (device memory is freed at once; host memory by the GC). */
  void free(MemorySegment buffer);

  /** Copies {@code n} values from the host array into the buffer. */
  void write(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);

  /** Copies {@code n} values from the buffer into the host array (waits for queued work). */
  void read(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

  /** Sets {@code n} values to zero. */
  void zero(MemorySegment buffer, long offset, long n);

  /**
   * {@code C = alpha · op(A) · op(B) + beta · C}, row-major: op(A) is m×k, op(B) is k×n, C is m×n;
   * {@code lda}, {@code ldb}, {@code ldc} are the row strides of the matrices as stored.
   */
  void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      MemorySegment a,
      long aOffset,
      int lda,
      MemorySegment b,
      long bOffset,
      int ldb,
      float beta,
      MemorySegment c,
      long cOffset,
      int ldc);

  /** Adds {@code bias[col]} to every row of the rows×cols matrix C, then ReLU if asked. */
  void addBias(
      MemorySegment c,
      long cOffset,
      int rows,
      int cols,
      MemorySegment bias,
      long biasOffset,
      boolean relu);

  /**
   * {@code delta[i] = 0} wherever {@code activation[i] <= 0}, for {@code n} values (ReLU's
   * backward).
   */
  void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n);

  /** {@code out[col] = Σ_row a[row][col]} of the rows×cols matrix (a bias gradient). */
  void columnSums(
      MemorySegment a, long aOffset, int rows, int cols, MemorySegment out, long outOffset);

  /**
   * Softmax cross-entropy of {@code rows} rows of {@code classes} logits against {@code labels}:
   * returns the summed (not averaged) loss, and writes {@code scale × d(loss)/d(logits)} into
   * {@code dLogits} unless it is null. Labels must be in range (checked by the caller).
   */
  default double softmaxCrossEntropy(
      MemorySegment logits,
      long offset,
      int rows,
      int classes,
      int[] labels,
      float scale,
      MemorySegment dLogits,
      long dOffset) {
    float[] host = new float[rows * classes];
    read(logits, offset, host, 0, host.length);
    float[] d = dLogits == null ? null : new float[host.length];
    double sum = SoftmaxCrossEntropy.rows(host, rows, classes, labels, scale, d);
    if (d != null) {
      write(d, 0, dLogits, dOffset, d.length);
    }
    return sum;
  }

  /**
   * SGD over {@code n} values: {@code p -= lr·g}, or with {@code velocity} (not null) PyTorch's
   * momentum {@code v = μv + g; p -= lr·v}.
   */
  void sgd(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment velocity,
      long n,
      float lr,
      float momentum);

  /**
   * One Adam step over {@code n} values with bias correction for step {@code step} (1-based):
   * {@code m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= (lr/c1)·m / (√v/√c2 + ε)}.
   */
  void adam(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment m,
      MemorySegment v,
      long n,
      float lr,
      float beta1,
      float beta2,
      float eps,
      long step);

  /** Waits until every queued operation has finished (no-op on CPUs). */
  default void synchronize() {}

  /** Releases threads, handles and device state; buffers must not be used afterwards. */
  @Override
  void close();
}
