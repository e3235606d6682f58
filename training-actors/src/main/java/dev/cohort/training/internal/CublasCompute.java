package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The {@code cublas} compute: buffers are device memory ({@code cudaMalloc}; a buffer is a {@link
 * MemorySegment} holding the device address and size, never dereferenced on the host), matrix
 * products {@code cublasSgemm}, bias gradients {@code cublasSgemv} against ones, SGD {@code
 * cublasSaxpy}/{@code cublasSscal}, and bias + ReLU, ReLU's backward and Adam as the PTX kernels of
 * {@link CudaKernels}. Everything is queued on one stream of the worker's device; the trainer
 * synchronises it before a device communicator (NCCL, on its own stream) reduces a gradient bucket
 * in place, without a host round trip. Host reads and writes synchronise the stream.
 *
 * <p>Thread-safety: one worker thread at a time; the device is made current on whichever thread
 * calls (the CUDA runtime keeps the current device per thread).
 */
public final class CublasCompute implements Compute {
  private final CudaRuntime cuda;
  private final Cublas cublas;
  private final int device;
  private final long handle;
  private final long stream;
  private final CudaKernels kernels;
  private final Arena scalars = Arena.ofShared();
  private final MemorySegment one; // {1, 0}
  private long onesLength;
  private MemorySegment onesBuffer = MemorySegment.NULL;
  private Thread current;

  private CublasCompute(CudaRuntime cuda, Cublas cublas, int device) {
    this.cuda = cuda;
    this.cublas = cublas;
    this.device = device;
    ensureDevice();
    long[] out = new long[1];
    check(cuda.streamCreate(out), "cudaStreamCreate");
    this.stream = out[0];
    checkBlas(cublas.create(out), "cublasCreate");
    this.handle = out[0];
    checkBlas(cublas.setStream(handle, stream), "cublasSetStream");
    this.kernels = CudaKernels.load();
    this.one = Cublas.scalars(scalars, 1f, 0f);
  }

  /**
   * A compute on GPU {@code device}; fails with {@code compute_unavailable} where cuBLAS cannot
   * run.
   */
  public static CublasCompute create(int device, TrainingSettings settings) {
    ComputeProbe.Result probe = ComputeProbe.cublas(settings);
    if (!probe.usable()) {
      throw TrainingError.COMPUTE_UNAVAILABLE.exception("cublas: " + probe.reason());
    }
    return new CublasCompute(probe.cublas().cuda(), probe.cublas(), device);
  }

  @Override
  public ComputeKind kind() {
    return ComputeKind.CUBLAS;
  }

  @Override
  public int threads() {
    return 1;
  }

  @Override
  public boolean hostMemory() {
    return false;
  }

  private void ensureDevice() {
    if (current != Thread.currentThread()) {
      check(cuda.setDevice(device), "cudaSetDevice(" + device + ")");
      current = Thread.currentThread();
    }
  }

  private static long address(MemorySegment buffer, long offset) {
    return buffer.address() + offset * Float.BYTES;
  }

  @Override
  public MemorySegment allocate(long floats) {
    ensureDevice();
    long bytes = Math.max(1, floats) * Float.BYTES;
    long[] ptr = new long[1];
    check(cuda.malloc(bytes, ptr), "cudaMalloc(" + bytes + ")");
    check(cuda.memset(ptr[0], 0, bytes), "cudaMemset");
    return MemorySegment.ofAddress(ptr[0]).reinterpret(bytes);
  }

  @Override
  public void free(MemorySegment buffer) {
    ensureDevice();
    check(cuda.free(buffer.address()), "cudaFree");
  }

  @Override
  public void write(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
    ensureDevice();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host = a.allocate((long) n * Float.BYTES, 64);
      MemorySegment.copy(src, srcOffset, host, JAVA_FLOAT, 0, n);
      check(
          cuda.memcpyAsync(
              address(dst, dstOffset),
              host.address(),
              (long) n * Float.BYTES,
              CudaRuntime.HOST_TO_DEVICE,
              stream),
          "cudaMemcpyAsync");
      synchronize(); // the staging memory goes away with the arena
    }
  }

  @Override
  public void read(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
    ensureDevice();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment host = a.allocate((long) n * Float.BYTES, 64);
      check(
          cuda.memcpyAsync(
              host.address(),
              address(src, srcOffset),
              (long) n * Float.BYTES,
              CudaRuntime.DEVICE_TO_HOST,
              stream),
          "cudaMemcpyAsync");
      synchronize();
      MemorySegment.copy(host, JAVA_FLOAT, 0, dst, dstOffset, n);
    }
  }

  @Override
  public void zero(MemorySegment buffer, long offset, long n) {
    ensureDevice();
    synchronize(); // cudaMemset runs on the default stream
    check(cuda.memset(address(buffer, offset), 0, n * Float.BYTES), "cudaMemset");
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
    ensureDevice();
    try (Arena arena = Arena.ofConfined()) {
      checkBlas(
          cublas.gemmRowMajor(
              handle,
              transA,
              transB,
              m,
              n,
              k,
              address(a, aOffset),
              lda,
              address(b, bOffset),
              ldb,
              address(c, cOffset),
              ldc,
              Cublas.scalars(arena, alpha, beta)),
          "cublasSgemm");
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
    ensureDevice();
    kernels.biasRelu(stream, address(c, cOffset), address(bias, biasOffset), rows, cols, relu);
  }

  @Override
  public void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n) {
    ensureDevice();
    kernels.reluBackward(
        stream,
        address(delta, deltaOffset),
        address(activation, activationOffset),
        Math.toIntExact(n));
  }

  @Override
  public void columnSums(
      MemorySegment a, long aOffset, int rows, int cols, MemorySegment out, long outOffset) {
    ensureDevice();
    if (onesLength < rows) {
      if (onesLength > 0) {
        free(onesBuffer);
      }
      float[] host = new float[rows];
      java.util.Arrays.fill(host, 1f);
      onesBuffer = allocate(rows);
      write(host, 0, onesBuffer, 0, rows);
      onesLength = rows;
    }
    checkBlas(
        cublas.columnSumsRowMajor(
            handle,
            rows,
            cols,
            address(a, aOffset),
            onesBuffer.address(),
            address(out, outOffset),
            one),
        "cublasSgemv");
  }

  @Override
  public void sgd(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment velocity,
      long n,
      float lr,
      float momentum) {
    ensureDevice();
    int count = Math.toIntExact(n);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment minusLr = Cublas.scalars(a, -lr, momentum);
      if (velocity == null) {
        checkBlas(
            cublas.saxpy(handle, count, minusLr, grads.address(), params.address()), "cublasSaxpy");
      } else {
        checkBlas(
            cublas.sscal(handle, count, minusLr.asSlice(Float.BYTES), velocity.address()),
            "cublasSscal");
        checkBlas(
            cublas.saxpy(handle, count, one, grads.address(), velocity.address()), "cublasSaxpy");
        checkBlas(
            cublas.saxpy(handle, count, minusLr, velocity.address(), params.address()),
            "cublasSaxpy");
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
    ensureDevice();
    kernels.adam(
        stream,
        params.address(),
        grads.address(),
        m.address(),
        v.address(),
        Math.toIntExact(n),
        beta1,
        beta2,
        eps,
        AdamStep.of(lr, beta1, beta2, step));
  }

  @Override
  public void synchronize() {
    ensureDevice();
    check(cuda.streamSynchronize(stream), "cudaStreamSynchronize");
  }

  @Override
  public void close() {
    ensureDevice();
    cuda.streamSynchronize(stream);
    if (onesLength > 0) {
      cuda.free(onesBuffer.address());
    }
    cublas.destroy(handle);
    cuda.streamDestroy(stream);
    scalars.close();
  }

  private void check(int rc, String call) {
    if (rc != 0) {
      throw new IllegalStateException(call + " on GPU " + device + " failed: " + cuda.describe(rc));
    }
  }

  private void checkBlas(int rc, String call) {
    if (rc != 0) {
      throw new IllegalStateException(call + " on GPU " + device + " failed: cublasStatus " + rc);
    }
  }
}
