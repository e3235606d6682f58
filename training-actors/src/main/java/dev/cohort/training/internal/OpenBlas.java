package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part of OpenBLAS's CBLAS interface the {@code openblas} compute needs ({@code cblas_sgemm},
 * {@code cblas_sgemv}, {@code cblas_saxpy}, {@code cblas_sscal}) and its thread control, bound
 * through {@code java.lang.foreign} at run time from Debian's {@code libopenblas.so.0} (32-bit
 * integers: not the {@code libopenblas64} build).
 *
 * <p>Every pointer argument must be native memory. Loaded once per path into the global arena and
 * never unloaded. OpenBLAS's thread count is one setting per process: {@link #setThreads} changes
 * it for every caller in the JVM.
 */
public final class OpenBlas {
  static final int ROW_MAJOR = 101;
  static final int NO_TRANS = 111;
  static final int TRANS = 112;

  private static final Map<Path, OpenBlas> LOADED = new ConcurrentHashMap<>();

  private final MethodHandle sgemm;
  private final MethodHandle sgemv;
  private final MethodHandle saxpy;
  private final MethodHandle sscal;
  private final MethodHandle setNumThreads;
  private final MethodHandle getConfig;

  private OpenBlas(Path path) {
    Binder b = new Binder(SymbolLookup.libraryLookup(path, Arena.global()), path);
    sgemm =
        b.bind(
            "cblas_sgemm",
            FunctionDescriptor.ofVoid(
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_FLOAT,
                ADDRESS,
                JAVA_INT,
                ADDRESS,
                JAVA_INT,
                JAVA_FLOAT,
                ADDRESS,
                JAVA_INT));
    sgemv =
        b.bind(
            "cblas_sgemv",
            FunctionDescriptor.ofVoid(
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_INT,
                JAVA_FLOAT,
                ADDRESS,
                JAVA_INT,
                ADDRESS,
                JAVA_INT,
                JAVA_FLOAT,
                ADDRESS,
                JAVA_INT));
    saxpy =
        b.bind(
            "cblas_saxpy",
            FunctionDescriptor.ofVoid(JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    sscal =
        b.bind("cblas_sscal", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT));
    setNumThreads = b.bind("openblas_set_num_threads", FunctionDescriptor.ofVoid(JAVA_INT));
    getConfig = b.bind("openblas_get_config", FunctionDescriptor.of(ADDRESS));
  }

  /** Binds the library at {@code path} (once per path). */
  public static OpenBlas load(Path path) {
    return LOADED.computeIfAbsent(path.toAbsolutePath(), OpenBlas::new);
  }

  /** Row-major {@code C = alpha·op(A)·op(B) + beta·C} on native segments (at their starts). */
  void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      MemorySegment a,
      int lda,
      MemorySegment b,
      int ldb,
      float beta,
      MemorySegment c,
      int ldc) {
    try {
      sgemm.invokeExact(
          ROW_MAJOR,
          transA ? TRANS : NO_TRANS,
          transB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          a,
          lda,
          b,
          ldb,
          beta,
          c,
          ldc);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** Row-major {@code y = alpha·op(A)·x + beta·y}, A of {@code m×n}, unit strides. */
  void sgemv(
      boolean trans,
      int m,
      int n,
      float alpha,
      MemorySegment a,
      int lda,
      MemorySegment x,
      float beta,
      MemorySegment y) {
    try {
      sgemv.invokeExact(ROW_MAJOR, trans ? TRANS : NO_TRANS, m, n, alpha, a, lda, x, 1, beta, y, 1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** {@code y += alpha·x} over {@code n} values, unit strides. */
  void saxpy(int n, float alpha, MemorySegment x, MemorySegment y) {
    try {
      saxpy.invokeExact(n, alpha, x, 1, y, 1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** {@code x *= alpha} over {@code n} values, unit stride. */
  void sscal(int n, float alpha, MemorySegment x) {
    try {
      sscal.invokeExact(n, alpha, x, 1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** Sets the threads every BLAS call of this process may use. */
  public void setThreads(int threads) {
    try {
      setNumThreads.invokeExact(threads);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /**
   * The library's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell
   * MAX_THREADS=64".
   */
  public String config() {
    try {
      return Binder.string((MemorySegment) getConfig.invokeExact());
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }
}
