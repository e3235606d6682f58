package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code openblas} compute: buffers are off-heap segments (64-byte aligned, freed by the
 * garbage collector once unreachable), matrix products {@code cblas_sgemm}, bias gradients {@code
 * cblas_sgemv} against a vector of ones, SGD {@code cblas_saxpy}/{@code cblas_sscal}; bias, ReLU
 * and Adam are loops over the segments ({@link SegmentLoops}). Communicators reduce its buffers in
 * place (they are native host memory).
 *
 * <p>Threads: OpenBLAS's thread count is one per process; this compute sets it to {@code threads}
 * when it is made (every worker of a node asks for the same share of the cores, so they agree).
 */
public final class OpenBlasCompute implements Compute {
  private final OpenBlas blas;
  private final int threads;
  private final SegmentLoops loops;
  private MemorySegment ones = MemorySegment.NULL;

  public OpenBlasCompute(OpenBlas blas, int threads) {
    this(blas, threads, SegmentLoops.best());
  }

  OpenBlasCompute(OpenBlas blas, int threads, SegmentLoops loops) {
    this.blas = blas;
    this.threads = Math.max(1, threads);
    this.loops = loops;
    blas.setThreads(this.threads);
  }

  @Override
  public ComputeKind kind() {
    return ComputeKind.OPENBLAS;
  }

  @Override
  public int threads() {
    return threads;
  }

  @Override
  public boolean hostMemory() {
    return true;
  }

  @Override
  public MemorySegment allocate(long floats) {
    return Arena.ofAuto().allocate(Math.max(1, floats) * Float.BYTES, 64);
  }

  @Override
  public void free(MemorySegment buffer) {
    // off-heap memory of an automatic arena: released once the segment is unreachable
  }

  private static MemorySegment at(MemorySegment buffer, long offset) {
    return offset == 0 ? buffer : buffer.asSlice(offset * Float.BYTES);
  }

  @Override
  public void write(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
    MemorySegment.copy(src, srcOffset, dst, JAVA_FLOAT, dstOffset * Float.BYTES, n);
  }

  @Override
  public void read(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
    MemorySegment.copy(src, JAVA_FLOAT, srcOffset * Float.BYTES, dst, dstOffset, n);
  }

  @Override
  public void zero(MemorySegment buffer, long offset, long n) {
    buffer.asSlice(offset * Float.BYTES, n * Float.BYTES).fill((byte) 0);
  }

  @Override
  public void gemm(
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
      int ldc) {
    blas.sgemm(
        transA,
        transB,
        m,
        n,
        k,
        alpha,
        at(a, aOffset),
        lda,
        at(b, bOffset),
        ldb,
        beta,
        at(c, cOffset),
        ldc);
  }

  @Override
  public void addBias(
      MemorySegment c,
      long cOffset,
      int rows,
      int cols,
      MemorySegment bias,
      long biasOffset,
      boolean relu) {
    loops.addBias(c, cOffset, rows, cols, bias, biasOffset, relu);
  }

  @Override
  public void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n) {
    loops.reluBackward(delta, deltaOffset, activation, activationOffset, n);
  }

  @Override
  public void columnSums(
      MemorySegment a, long aOffset, int rows, int cols, MemorySegment out, long outOffset) {
    if (ones.byteSize() < (long) rows * Float.BYTES) {
      ones = allocate(rows);
      ones.elements(JAVA_FLOAT).forEach(s -> s.set(JAVA_FLOAT, 0, 1f));
    }
    // out = Aᵀ · 1
    blas.sgemv(true, rows, cols, 1f, at(a, aOffset), cols, ones, 0f, at(out, outOffset));
  }

  @Override
  public void sgd(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment velocity,
      long n,
      float lr,
      float momentum) {
    int count = Math.toIntExact(n);
    if (velocity == null) {
      blas.saxpy(count, -lr, grads, params);
    } else {
      blas.sscal(count, momentum, velocity);
      blas.saxpy(count, 1f, grads, velocity);
      blas.saxpy(count, -lr, velocity, params);
    }
  }

  @Override
  public void adam(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment m,
      MemorySegment v,
      long n,
      float lr,
      float beta1,
      float beta2,
      float eps,
      long step) {
    loops.adam(params, grads, m, v, n, beta1, beta2, eps, AdamStep.of(lr, beta1, beta2, step));
  }

  @Override
  public void close() {
    // the library stays loaded; buffers go with the garbage collector
  }
}
