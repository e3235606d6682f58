package dev.cohort.training.internal;

import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeKind;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The {@code java} compute, the reference the others are tested against: buffers are heap {@code
 * float[]} arrays wrapped in {@link MemorySegment#ofArray(float[])}, operations plain loops that
 * the JIT compiles to vector instructions where it can.
 *
 * <p>Matrix multiply keeps one row of a matrix in L1 while it sweeps another ({@code dot} for
 * {@code A·Bᵀ}, {@code axpy} otherwise) and splits the output into blocks of rows (or, for {@code
 * A·Bᵀ}, of columns) over {@code threads} threads. Invariant: every output element is computed by
 * one thread in a fixed order, so results do not depend on the number of threads or on scheduling.
 */
public final class JavaCompute implements Compute {
  private static final int BLOCK = 8;

  /** A single-threaded instance for optimizers made without a compute (it holds no threads). */
  public static final JavaCompute SHARED = new JavaCompute(1);

  private final int threads;
  private final ForkJoinPool pool;

  public JavaCompute(int threads) {
    this.threads = Math.max(1, threads);
    this.pool = this.threads > 1 ? new ForkJoinPool(this.threads) : null;
  }

  @Override
  public ComputeKind kind() {
    return ComputeKind.JAVA;
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
    if (floats > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(floats + " floats do not fit one Java array");
    }
    return MemorySegment.ofArray(new float[(int) floats]);
  }

  @Override
  public void free(MemorySegment buffer) {
    // heap arrays go with the garbage collector
  }

  /** The array behind a buffer of this compute. */
  static float[] array(MemorySegment buffer) {
    if (buffer.heapBase().orElse(null) instanceof float[] a) {
      return a;
    }
    throw new IllegalArgumentException("not a buffer of the java compute: " + buffer);
  }

  @Override
  public void write(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
    System.arraycopy(src, srcOffset, array(dst), (int) dstOffset, n);
  }

  @Override
  public void read(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
    System.arraycopy(array(src), (int) srcOffset, dst, dstOffset, n);
  }

  @Override
  public void zero(MemorySegment buffer, long offset, long n) {
    Arrays.fill(array(buffer), (int) offset, (int) (offset + n), 0f);
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
    float[] av = array(a);
    float[] bv = array(b);
    float[] cv = array(c);
    int ao = (int) aOffset;
    int bo = (int) bOffset;
    int co = (int) cOffset;
    if (!transA && transB) {
      // C[i][j] = dot(A row i, B row j): one B row stays in L1 while all rows of A pass.
      parallel(
          blocks(n),
          block -> {
            for (int j = block * BLOCK; j < Math.min(n, (block + 1) * BLOCK); j++) {
              int bRow = bo + j * ldb;
              for (int i = 0; i < m; i++) {
                int at = co + i * ldc + j;
                float s = alpha * dot(av, ao + i * lda, bv, bRow, k);
                cv[at] = beta == 0f ? s : s + beta * cv[at];
              }
            }
          });
      return;
    }
    parallel(
        blocks(m),
        block -> {
          int iEnd = Math.min(m, (block + 1) * BLOCK);
          for (int i = block * BLOCK; i < iEnd; i++) {
            scaleRow(cv, co + i * ldc, n, beta);
          }
          if (transA && transB) {
            for (int i = block * BLOCK; i < iEnd; i++) {
              for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                  s += av[ao + p * lda + i] * bv[bo + j * ldb + p];
                }
                cv[co + i * ldc + j] += alpha * s;
              }
            }
            return;
          }
          // C row i += alpha·A(i,p) · B row p: one B row stays in L1 while the block's rows pass.
          for (int p = 0; p < k; p++) {
            int bRow = bo + p * ldb;
            for (int i = block * BLOCK; i < iEnd; i++) {
              float s = alpha * (transA ? av[ao + p * lda + i] : av[ao + i * lda + p]);
              if (s != 0f) {
                axpy(s, bv, bRow, cv, co + i * ldc, n);
              }
            }
          }
        });
  }

  private static int blocks(int rows) {
    return (rows + BLOCK - 1) / BLOCK;
  }

  private static void scaleRow(float[] c, int offset, int n, float beta) {
    if (beta == 0f) {
      Arrays.fill(c, offset, offset + n, 0f);
    } else if (beta != 1f) {
      for (int j = 0; j < n; j++) {
        c[offset + j] *= beta;
      }
    }
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
    float[] cv = array(c);
    float[] bv = array(bias);
    int bo = (int) biasOffset;
    for (int r = 0; r < rows; r++) {
      int row = (int) cOffset + r * cols;
      for (int j = 0; j < cols; j++) {
        float z = cv[row + j] + bv[bo + j];
        cv[row + j] = relu ? Math.max(z, 0f) : z;
      }
    }
  }

  @Override
  public void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n) {
    float[] d = array(delta);
    float[] act = array(activation);
    int dOff = (int) deltaOffset;
    int aOff = (int) activationOffset;
    for (int i = 0; i < n; i++) {
      if (act[aOff + i] <= 0f) {
        d[dOff + i] = 0f;
      }
    }
  }

  @Override
  public void columnSums(
      MemorySegment a, long aOffset, int rows, int cols, MemorySegment out, long outOffset) {
    float[] av = array(a);
    float[] ov = array(out);
    int oOff = (int) outOffset;
    Arrays.fill(ov, oOff, oOff + cols, 0f);
    for (int r = 0; r < rows; r++) {
      int row = (int) aOffset + r * cols;
      for (int j = 0; j < cols; j++) {
        ov[oOff + j] += av[row + j];
      }
    }
  }

  @Override
  public void sgd(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment velocity,
      long n,
      float lr,
      float momentum) {
    float[] p = array(params);
    float[] g = array(grads);
    if (velocity == null) {
      for (int i = 0; i < n; i++) {
        p[i] -= lr * g[i];
      }
    } else {
      float[] v = array(velocity);
      for (int i = 0; i < n; i++) {
        v[i] = momentum * v[i] + g[i];
        p[i] -= lr * v[i];
      }
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
    float[] p = array(params);
    float[] g = array(grads);
    float[] mv = array(m);
    float[] vv = array(v);
    AdamStep s = AdamStep.of(lr, beta1, beta2, step);
    for (int i = 0; i < n; i++) {
      float gi = g[i];
      mv[i] = beta1 * mv[i] + (1 - beta1) * gi;
      vv[i] = beta2 * vv[i] + (1 - beta2) * gi * gi;
      p[i] -= s.stepSize() * mv[i] / ((float) Math.sqrt(vv[i]) / s.sqrtC2() + eps);
    }
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
  public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
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

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
