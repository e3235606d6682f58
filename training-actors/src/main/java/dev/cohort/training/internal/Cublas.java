package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part of cuBLAS (v2 API, {@code libcublas.so.13} or {@code .12}) the {@code cublas} compute
 * needs, bound through {@code java.lang.foreign}: handles, streams, {@code cublasSgemm_v2}, {@code
 * cublasSgemv_v2}, {@code cublasSaxpy_v2}, {@code cublasSscal_v2}. cuBLAS is column-major; {@link
 * #gemmRowMajor} and {@link #columnSumsRowMajor} translate the row-major calls of the compute.
 * Scalars are passed by host pointer (cuBLAS's default pointer mode). Every method returns the raw
 * {@code cublasStatus_t} (0 is success).
 *
 * <p>Thread-safety: a handle belongs to one device and is used by one thread at a time. Loaded once
 * per path into the global arena and never unloaded.
 */
public final class Cublas {
  static final int OP_N = 0;
  static final int OP_T = 1;

  private static final Map<Path, Cublas> LOADED = new ConcurrentHashMap<>();

  private final Path path;
  private final CudaRuntime cuda;
  private final MethodHandle create;
  private final MethodHandle destroy;
  private final MethodHandle setStream;
  private final MethodHandle sgemm;
  private final MethodHandle sgemv;
  private final MethodHandle saxpy;
  private final MethodHandle sscal;

  private Cublas(Path path, CudaRuntime cuda) {
    this.path = path;
    this.cuda = cuda;
    Binder b = new Binder(SymbolLookup.libraryLookup(path, Arena.global()), path);
    create = b.bind("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    destroy = b.bind("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    setStream = b.bind("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    sgemm =
        b.bind(
            "cublasSgemm_v2",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    sgemv =
        b.bind(
            "cublasSgemv_v2",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    saxpy =
        b.bind(
            "cublasSaxpy_v2",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    sscal =
        b.bind(
            "cublasSscal_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
  }

  /** Binds the library at {@code path} (once per path); {@code cuda} is the runtime it runs on. */
  public static Cublas load(Path path, CudaRuntime cuda) {
    return LOADED.computeIfAbsent(path.toAbsolutePath(), p -> new Cublas(p, cuda));
  }

  public Path path() {
    return path;
  }

  public CudaRuntime cuda() {
    return cuda;
  }

  /** cublasCreate_v2 on the calling thread's current device; the handle goes to {@code out[0]}. */
  public int create(long[] out) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment handle = a.allocate(JAVA_LONG);
      int rc = (int) create.invokeExact(handle);
      out[0] = handle.get(JAVA_LONG, 0);
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int destroy(long handle) {
    try {
      return (int) destroy.invokeExact(MemorySegment.ofAddress(handle));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int setStream(long handle, long stream) {
    try {
      return (int)
          setStream.invokeExact(MemorySegment.ofAddress(handle), MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /**
   * Row-major {@code C = alpha·op(A)·op(B) + beta·C} on device addresses: cuBLAS computes the
   * column-major {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}, so the operands and sizes swap. {@code scalars} is a
   * host segment holding alpha at 0 and beta at 4.
   */
  int gemmRowMajor(
      long handle,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      long a,
      int lda,
      long b,
      int ldb,
      long c,
      int ldc,
      MemorySegment scalars) {
    try {
      return (int)
          sgemm.invokeExact(
              MemorySegment.ofAddress(handle),
              transB ? OP_T : OP_N,
              transA ? OP_T : OP_N,
              n,
              m,
              k,
              scalars,
              MemorySegment.ofAddress(b),
              ldb,
              MemorySegment.ofAddress(a),
              lda,
              scalars.asSlice(Float.BYTES),
              MemorySegment.ofAddress(c),
              ldc);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /**
   * {@code out[col] = Σ_row A[row][col]} of a row-major rows×cols matrix: column-major that matrix
   * is cols×rows with leading dimension cols, so {@code out = A_cm · ones} (no transpose). {@code
   * scalars}: 1 at 0, 0 at 4.
   */
  int columnSumsRowMajor(
      long handle, int rows, int cols, long a, long ones, long out, MemorySegment scalars) {
    try {
      return (int)
          sgemv.invokeExact(
              MemorySegment.ofAddress(handle),
              OP_N,
              cols,
              rows,
              scalars,
              MemorySegment.ofAddress(a),
              cols,
              MemorySegment.ofAddress(ones),
              1,
              scalars.asSlice(Float.BYTES),
              MemorySegment.ofAddress(out),
              1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** {@code y += alpha·x}; {@code alpha} a host segment holding one float. */
  int saxpy(long handle, int n, MemorySegment alpha, long x, long y) {
    try {
      return (int)
          saxpy.invokeExact(
              MemorySegment.ofAddress(handle),
              n,
              alpha,
              MemorySegment.ofAddress(x),
              1,
              MemorySegment.ofAddress(y),
              1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** {@code x *= alpha}; {@code alpha} a host segment holding one float. */
  int sscal(long handle, int n, MemorySegment alpha, long x) {
    try {
      return (int)
          sscal.invokeExact(
              MemorySegment.ofAddress(handle), n, alpha, MemorySegment.ofAddress(x), 1);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** A host segment of two floats, for the scalar arguments. */
  static MemorySegment scalars(Arena arena, float first, float second) {
    MemorySegment s = arena.allocate(JAVA_FLOAT, 2);
    s.setAtIndex(JAVA_FLOAT, 0, first);
    s.setAtIndex(JAVA_FLOAT, 1, second);
    return s;
  }
}
