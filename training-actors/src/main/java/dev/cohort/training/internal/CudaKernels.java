package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The cublas compute's element-wise kernels ({@code kernels.ptx}: bias + ReLU, ReLU's backward,
 * Adam), loaded through the CUDA driver API ({@code libcuda.so.1}: {@code cuModuleLoadData}
 * JIT-compiles the PTX for the current device, {@code cuLaunchKernel} queues a kernel on a stream).
 * One instance per device, made and used on that device's thread (the runtime's primary context
 * must be current). Kernels run one thread per element in blocks of {@link #BLOCK}.
 */
final class CudaKernels {
  static final int BLOCK = 256;
  static final String PTX_RESOURCE = "kernels.ptx";

  /** Each kernel's entry name and the number of arguments its launch passes. */
  static final java.util.Map<String, Integer> ARGUMENTS =
      java.util.Map.of("cohort_bias_relu", 5, "cohort_relu_backward", 3, "cohort_adam", 10);

  private final MethodHandle launch;
  private final MethodHandle errorName;
  private final MemorySegment biasRelu;
  private final MemorySegment reluBackward;
  private final MemorySegment adam;

  private CudaKernels(SymbolLookup driver, Path path, String ptx) {
    Binder b = new Binder(driver, path);
    MethodHandle init = b.bind("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    MethodHandle loadData =
        b.bind("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    MethodHandle getFunction =
        b.bind("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    errorName = b.bind("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    launch =
        b.bind(
            "cuLaunchKernel",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    try (Arena a = Arena.ofConfined()) {
      check((int) init.invokeExact(0), "cuInit");
      MemorySegment module = a.allocate(JAVA_LONG);
      check((int) loadData.invokeExact(module, a.allocateFrom(ptx)), "cuModuleLoadData");
      MemorySegment m = module.get(ADDRESS, 0);
      biasRelu = function(getFunction, a, m, "cohort_bias_relu");
      reluBackward = function(getFunction, a, m, "cohort_relu_backward");
      adam = function(getFunction, a, m, "cohort_adam");
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** Loads the driver and the module on the calling thread's current device. */
  static CudaKernels load() {
    NativeLibraryLocator.Search search =
        NativeLibraryLocator.find(
            null, List.of("libcuda.so.1", "libcuda.so"), "nvidia/cuda_runtime/lib");
    Path path =
        search
            .found()
            .orElseThrow(() -> new UnsatisfiedLinkError(search.notFoundMessage("libcuda.so.1")));
    return new CudaKernels(SymbolLookup.libraryLookup(path, Arena.global()), path, ptx());
  }

  /** The PTX text of the kernels (a resource next to this class). */
  static String ptx() {
    try (InputStream in = CudaKernels.class.getResourceAsStream(PTX_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(PTX_RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private MemorySegment function(
      MethodHandle getFunction, Arena a, MemorySegment module, String name) throws Throwable {
    MemorySegment out = a.allocate(JAVA_LONG);
    check((int) getFunction.invokeExact(out, module, a.allocateFrom(name)), name);
    return out.get(ADDRESS, 0);
  }

  void biasRelu(long stream, long c, long bias, int rows, int cols, boolean relu) {
    try (Arena a = Arena.ofConfined()) {
      run(
          a,
          biasRelu,
          stream,
          (long) rows * cols,
          ptr(a, c),
          ptr(a, bias),
          i32(a, rows),
          i32(a, cols),
          i32(a, relu ? 1 : 0));
    }
  }

  void reluBackward(long stream, long delta, long activation, int n) {
    try (Arena a = Arena.ofConfined()) {
      run(a, reluBackward, stream, n, ptr(a, delta), ptr(a, activation), i32(a, n));
    }
  }

  void adam(
      long stream,
      long p,
      long g,
      long m,
      long v,
      int n,
      float beta1,
      float beta2,
      float eps,
      AdamStep s) {
    try (Arena a = Arena.ofConfined()) {
      run(
          a,
          adam,
          stream,
          n,
          ptr(a, p),
          ptr(a, g),
          ptr(a, m),
          ptr(a, v),
          i32(a, n),
          f32(a, beta1),
          f32(a, beta2),
          f32(a, eps),
          f32(a, s.stepSize()),
          f32(a, s.sqrtC2()));
    }
  }

  private void run(
      Arena a, MemorySegment kernel, long stream, long elements, MemorySegment... args) {
    if (elements == 0) {
      return;
    }
    MemorySegment params = a.allocate(ADDRESS, args.length);
    for (int i = 0; i < args.length; i++) {
      params.setAtIndex(ADDRESS, i, args[i]);
    }
    int grid = Math.toIntExact((elements + BLOCK - 1) / BLOCK);
    try {
      check(
          (int)
              launch.invokeExact(
                  kernel,
                  grid,
                  1,
                  1,
                  BLOCK,
                  1,
                  1,
                  0,
                  MemorySegment.ofAddress(stream),
                  params,
                  MemorySegment.NULL),
          "cuLaunchKernel");
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  private static MemorySegment ptr(Arena a, long address) {
    MemorySegment s = a.allocate(JAVA_LONG);
    s.set(JAVA_LONG, 0, address);
    return s;
  }

  private static MemorySegment i32(Arena a, int value) {
    MemorySegment s = a.allocate(JAVA_INT);
    s.set(JAVA_INT, 0, value);
    return s;
  }

  private static MemorySegment f32(Arena a, float value) {
    MemorySegment s = a.allocate(JAVA_FLOAT);
    s.set(JAVA_FLOAT, 0, value);
    return s;
  }

  private void check(int rc, String call) {
    if (rc != 0) {
      String name = "CUDA_ERROR_" + rc;
      try (Arena a = Arena.ofConfined()) {
        MemorySegment out = a.allocate(ADDRESS);
        if ((int) errorName.invokeExact(rc, out) == 0) {
          name = Binder.string(out.get(ADDRESS, 0));
        }
      } catch (Throwable ignored) {
        // the numeric code is reported instead
      }
      throw new IllegalStateException(call + " failed: " + name + " (" + rc + ")");
    }
  }
}
