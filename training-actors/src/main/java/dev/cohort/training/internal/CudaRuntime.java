package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
 * The part of the CUDA runtime API ({@code libcudart}) the nccl backend needs, bound through {@code
 * java.lang.foreign} at run time. Every method returns the raw {@code cudaError_t} (0 is success)
 * and writes outputs into caller-provided segments, so that callers decide how to report.
 *
 * <p>Thread-safety: the runtime keeps the current device per OS thread; callers make every call for
 * one device from that device's dedicated thread ({@link DeviceThread}). Libraries are loaded once
 * per path into the global arena and never unloaded (unloading CUDA while a stream or a
 * communicator may still use it crashes the process).
 */
public final class CudaRuntime {
  /** {@code cudaErrorInsufficientDriver}: the runtime found no usable driver (no GPU). */
  public static final int ERROR_INSUFFICIENT_DRIVER = 35;

  /** {@code cudaErrorNoDevice}. */
  public static final int ERROR_NO_DEVICE = 100;

  /** {@code cudaErrorNotReady}: work on the stream has not completed yet. */
  public static final int ERROR_NOT_READY = 600;

  /** {@code cudaMemcpyKind} values. */
  public static final int HOST_TO_DEVICE = 1;

  public static final int DEVICE_TO_HOST = 2;
  public static final int DEVICE_TO_DEVICE = 3;

  private static final Map<Path, CudaRuntime> LOADED = new ConcurrentHashMap<>();

  private final Path path;
  private final MethodHandle getDeviceCount;
  private final MethodHandle getErrorString;
  private final MethodHandle getErrorName;
  private final MethodHandle runtimeGetVersion;
  private final MethodHandle driverGetVersion;
  private final MethodHandle setDevice;
  private final MethodHandle malloc;
  private final MethodHandle free;
  private final MethodHandle memcpy;
  private final MethodHandle memcpyAsync;
  private final MethodHandle memset;
  private final MethodHandle streamCreate;
  private final MethodHandle streamDestroy;
  private final MethodHandle streamSynchronize;
  private final MethodHandle streamQuery;

  private CudaRuntime(Path path) {
    this.path = path;
    SymbolLookup lib = SymbolLookup.libraryLookup(path, Arena.global());
    Binder b = new Binder(lib, path);
    getDeviceCount = b.bind("cudaGetDeviceCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    getErrorString = b.bind("cudaGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    getErrorName = b.bind("cudaGetErrorName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    runtimeGetVersion = b.bind("cudaRuntimeGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    driverGetVersion = b.bind("cudaDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    setDevice = b.bind("cudaSetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    malloc = b.bind("cudaMalloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    free = b.bind("cudaFree", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    memcpy =
        b.bind(
            "cudaMemcpy", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    memcpyAsync =
        b.bind(
            "cudaMemcpyAsync",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
    memset = b.bind("cudaMemset", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    streamCreate = b.bind("cudaStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    streamDestroy = b.bind("cudaStreamDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    streamSynchronize = b.bind("cudaStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    streamQuery = b.bind("cudaStreamQuery", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  }

  /** Loads (once) the runtime at {@code path}. */
  public static CudaRuntime load(Path path) {
    return LOADED.computeIfAbsent(path.toAbsolutePath(), CudaRuntime::new);
  }

  public Path path() {
    return path;
  }

  /** cudaGetDeviceCount; the count goes to {@code count[0]}. */
  public int getDeviceCount(int[] count) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(JAVA_INT);
      int rc = (int) getDeviceCount.invokeExact(out);
      count[0] = rc == 0 ? out.get(JAVA_INT, 0) : 0;
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** cudaGetErrorString, e.g. "CUDA driver version is insufficient for CUDA runtime version". */
  public String errorString(int error) {
    try {
      return Binder.string((MemorySegment) getErrorString.invokeExact(error));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** cudaGetErrorName, e.g. "cudaErrorInsufficientDriver". */
  public String errorName(int error) {
    try {
      return Binder.string((MemorySegment) getErrorName.invokeExact(error));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** "cudaErrorInsufficientDriver (35): CUDA driver version is insufficient ...". */
  public String describe(int error) {
    return errorName(error) + " (" + error + "): " + errorString(error);
  }

  /** cudaRuntimeGetVersion, e.g. 13000 for 13.0; -1 on error. */
  public int runtimeVersion() {
    return intOut(runtimeGetVersion);
  }

  /** cudaDriverGetVersion: 0 when no driver is installed; -1 on error. */
  public int driverVersion() {
    return intOut(driverGetVersion);
  }

  private static int intOut(MethodHandle h) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(JAVA_INT);
      int rc = (int) h.invokeExact(out);
      return rc == 0 ? out.get(JAVA_INT, 0) : -1;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int setDevice(int device) {
    try {
      return (int) setDevice.invokeExact(device);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** cudaMalloc; the device pointer goes to {@code ptr[0]}. */
  public int malloc(long bytes, long[] ptr) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(ADDRESS);
      int rc = (int) malloc.invokeExact(out, bytes);
      ptr[0] = rc == 0 ? out.get(ADDRESS, 0).address() : 0;
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int free(long devicePtr) {
    try {
      return (int) free.invokeExact(MemorySegment.ofAddress(devicePtr));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** cudaMemcpy between raw addresses (host segments pass {@code segment.address()}). */
  public int memcpy(long dst, long src, long bytes, int kind) {
    try {
      return (int)
          memcpy.invokeExact(
              MemorySegment.ofAddress(dst), MemorySegment.ofAddress(src), bytes, kind);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int memcpyAsync(long dst, long src, long bytes, int kind, long stream) {
    try {
      return (int)
          memcpyAsync.invokeExact(
              MemorySegment.ofAddress(dst),
              MemorySegment.ofAddress(src),
              bytes,
              kind,
              MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int memset(long devicePtr, int value, long bytes) {
    try {
      return (int) memset.invokeExact(MemorySegment.ofAddress(devicePtr), value, bytes);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** cudaStreamCreate; the stream handle goes to {@code stream[0]}. */
  public int streamCreate(long[] stream) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(ADDRESS);
      int rc = (int) streamCreate.invokeExact(out);
      stream[0] = rc == 0 ? out.get(ADDRESS, 0).address() : 0;
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int streamDestroy(long stream) {
    return onStream(streamDestroy, stream);
  }

  /** Blocks until the stream drained: only for callers that can afford to wait forever. */
  public int streamSynchronize(long stream) {
    return onStream(streamSynchronize, stream);
  }

  /** 0 when all work on the stream completed, {@link #ERROR_NOT_READY} while some runs. */
  public int streamQuery(long stream) {
    return onStream(streamQuery, stream);
  }

  private static int onStream(MethodHandle h, long stream) {
    try {
      return (int) h.invokeExact(MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }
}
