package dev.cohort.training.internal;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.ReduceOp;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nccl backend: one NCCL communicator on one GPU, driven from one dedicated thread.
 *
 * <p>Every CUDA and NCCL call of this communicator runs on its device thread, which first calls
 * {@code cudaSetDevice}: the CUDA runtime keeps the current device per OS thread, and NCCL requires
 * its calls for one communicator not to race. One worker per GPU owns one communicator, so this is
 * one thread per GPU; two ranks on one GPU (a test set-up) get one thread each.
 *
 * <p>Never blocking forever: the communicator is created non-blocking ({@code blocking = 0} in
 * {@code ncclConfig_t}); initialisation and every collective are awaited by polling {@code
 * ncclCommGetAsyncError} and {@code cudaStreamQuery} against the collective timeout, and on timeout
 * or error the communicator is aborted with {@code ncclCommAbort}, which releases peers blocked in
 * the same collective (they see a remote error), and the operation fails.
 *
 * <p>Host buffers: the {@link Communicator} methods take host segments (the CPU model's gradients)
 * and stage them through device buffers on the communicator's stream. {@link #allReduceDevice}
 * works on device memory directly (benchmarks, GPU-resident callers). Counts that do not divide by
 * the number of ranks are padded for reduce-scatter and all-gather, which NCCL defines on equal
 * shares.
 */
public final class NcclCommunicator implements Communicator {
  private static final Logger log = LoggerFactory.getLogger(NcclCommunicator.class);

  private final Nccl nccl;
  private final CudaRuntime cuda;
  private final int rank;
  private final int size;
  private final int device;
  private final Duration timeout;
  private final long pollNanos;
  private final ExecutorService thread;
  private long comm;
  private long stream;
  private long staging; // device buffer for host operations, grown on demand
  private long stagingBytes;
  private volatile CollectiveException failure;

  private NcclCommunicator(
      Nccl nccl, CudaRuntime cuda, NcclRendezvous r, TrainingSettings settings) {
    this.nccl = nccl;
    this.cuda = cuda;
    this.rank = r.rank();
    this.size = r.size();
    this.device = r.device();
    this.timeout = settings.collectiveTimeout();
    this.pollNanos = Math.max(1_000, settings.ncclPollInterval().toNanos());
    this.thread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("cohort-cuda-" + device + "-rank-" + rank).factory());
  }

  /**
   * Creates and initialises the communicator; blocks the caller up to the collective timeout. Every
   * rank must call it concurrently with the same unique id.
   */
  public static NcclCommunicator create(
      Nccl nccl, CudaRuntime cuda, NcclRendezvous rendezvous, TrainingSettings settings) {
    NcclCommunicator c = new NcclCommunicator(nccl, cuda, rendezvous, settings);
    try {
      c.onDevice(
              "init",
              () -> {
                c.init(rendezvous.uniqueId());
                return null;
              })
          .toCompletableFuture()
          .get(settings.collectiveTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
      return c;
    } catch (ExecutionException e) {
      c.close(); // frees the stream and aborts a half-made communicator on the device thread
      throw e.getCause() instanceof CollectiveException ce ? ce : c.error("init", e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      c.thread.shutdownNow();
      throw c.error("init", e);
    }
  }

  private void init(byte[] uniqueId) {
    check("cudaSetDevice(" + device + ")", cuda.setDevice(device));
    long[] out = new long[1];
    check("cudaStreamCreate", cuda.streamCreate(out));
    stream = out[0];
    try (var arena = java.lang.foreign.Arena.ofConfined()) {
      int rc = nccl.commInitRankConfig(out, size, uniqueId, rank, Nccl.newConfig(arena, 0));
      comm = out[0];
      if (rc != Nccl.SUCCESS && rc != Nccl.IN_PROGRESS) {
        throw ncclError("ncclCommInitRankConfig", rc);
      }
    }
    awaitComm("ncclCommInitRankConfig", System.nanoTime() + timeout.toNanos());
    log.info(
        "nccl rank {} of {} ready on GPU {} (NCCL {})",
        rank,
        size,
        device,
        Nccl.versionString(nccl.version()));
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Backend backend() {
    return Backend.NCCL;
  }

  public int device() {
    return device;
  }

  // ---------------------------------------------------------------------------------------------
  // Host-buffer operations: stage through device memory.

  @Override
  public CompletionStage<Void> allReduce(MemorySegment buffer, ReduceOp op) {
    return allReduce(buffer, buffer, op);
  }

  @Override
  public CompletionStage<Void> allReduce(MemorySegment send, MemorySegment recv, ReduceOp op) {
    long count = Communicator.elements(send);
    requireCount(send, count);
    requireCount(recv, count);
    return onDevice(
        "allreduce",
        () -> {
          long bytes = count * 4;
          long buf = staging(bytes);
          copy(buf, send.address(), bytes, CudaRuntime.HOST_TO_DEVICE);
          launch("ncclAllReduce", nccl.allReduce(buf, buf, count, op, comm, stream));
          copy(recv.address(), buf, bytes, CudaRuntime.DEVICE_TO_HOST);
          awaitStream("allreduce");
          return null;
        });
  }

  @Override
  public CompletionStage<Void> reduceScatter(MemorySegment send, MemorySegment recv, ReduceOp op) {
    long count = Communicator.elements(send);
    Shard mine = Communicator.shard(count, size, rank);
    requireCount(send, count);
    requireCount(recv, mine.count());
    long block = (count + size - 1) / size;
    return onDevice(
        "reducescatter",
        () -> {
          // NCCL shares equally: lay rank r's shard into block r of a padded buffer.
          long buf = staging(block * 4 * (size + 1));
          long out = buf + block * 4 * size;
          check("cudaMemset", cuda.memset(buf, 0, block * 4 * size));
          for (int r = 0; r < size; r++) {
            Shard s = Communicator.shard(count, size, r);
            copy(
                buf + block * 4 * r,
                send.address() + s.offset() * 4,
                s.count() * 4,
                CudaRuntime.HOST_TO_DEVICE);
          }
          launch("ncclReduceScatter", nccl.reduceScatter(buf, out, block, op, comm, stream));
          copy(recv.address(), out, mine.count() * 4, CudaRuntime.DEVICE_TO_HOST);
          awaitStream("reducescatter");
          return null;
        });
  }

  @Override
  public CompletionStage<Void> allGather(MemorySegment send, MemorySegment recv) {
    long count = Communicator.elements(recv);
    Shard mine = Communicator.shard(count, size, rank);
    requireCount(recv, count);
    requireCount(send, mine.count());
    long block = (count + size - 1) / size;
    return onDevice(
        "allgather",
        () -> {
          long buf = staging(block * 4 * (size + 1));
          long in = buf + block * 4 * size;
          copy(in, send.address(), mine.count() * 4, CudaRuntime.HOST_TO_DEVICE);
          launch("ncclAllGather", nccl.allGather(in, buf, block, comm, stream));
          for (int r = 0; r < size; r++) {
            Shard s = Communicator.shard(count, size, r);
            copy(
                recv.address() + s.offset() * 4,
                buf + block * 4 * r,
                s.count() * 4,
                CudaRuntime.DEVICE_TO_HOST);
          }
          awaitStream("allgather");
          return null;
        });
  }

  @Override
  public CompletionStage<Void> broadcast(MemorySegment buffer, int root) {
    long count = Communicator.elements(buffer);
    requireCount(buffer, count);
    return onDevice(
        "broadcast",
        () -> {
          long bytes = count * 4;
          long buf = staging(bytes);
          copy(buf, buffer.address(), bytes, CudaRuntime.HOST_TO_DEVICE);
          launch("ncclBroadcast", nccl.broadcast(buf, buf, count, root, comm, stream));
          copy(buffer.address(), buf, bytes, CudaRuntime.DEVICE_TO_HOST);
          awaitStream("broadcast");
          return null;
        });
  }

  @Override
  public CompletionStage<Void> barrier() {
    return onDevice(
        "barrier",
        () -> {
          long buf = staging(4);
          launch("ncclAllReduce", nccl.allReduce(buf, buf, 1, ReduceOp.SUM, comm, stream));
          awaitStream("barrier");
          return null;
        });
  }

  @Override
  public boolean reducesDeviceMemory() {
    return true;
  }

  @Override
  public CompletionStage<Void> allReduceInDeviceMemory(MemorySegment buffer, ReduceOp op) {
    return allReduceDevice(buffer.address(), buffer.address(), Communicator.elements(buffer), op);
  }

  /** Allreduce of device memory ({@code count} float32 at raw device addresses). */
  public CompletionStage<Void> allReduceDevice(long send, long recv, long count, ReduceOp op) {
    return allReduceDevice(send, recv, count, op, 1);
  }

  /**
   * {@code iterations} allreduces of device memory queued back to back on the stream and awaited
   * once, as nccl-tests times them: the polling interval does not inflate the measured time.
   */
  public CompletionStage<Void> allReduceDevice(
      long send, long recv, long count, ReduceOp op, int iterations) {
    return onDevice(
        "allreduce",
        () -> {
          for (int i = 0; i < iterations; i++) {
            launch("ncclAllReduce", nccl.allReduce(send, recv, count, op, comm, stream));
          }
          awaitStream("allreduce");
          return null;
        });
  }

  /** cudaMalloc on this communicator's GPU; returns the device address. */
  public CompletionStage<Long> allocateDevice(long bytes) {
    return onDevice(
        "cudaMalloc",
        () -> {
          long[] out = new long[1];
          check("cudaMalloc(" + bytes + ")", cuda.malloc(bytes, out));
          return out[0];
        });
  }

  /** cudaFree of an address from {@link #allocateDevice}. */
  public CompletionStage<Void> freeDevice(long devicePtr) {
    return onDevice(
        "cudaFree",
        () -> {
          check("cudaFree", cuda.free(devicePtr));
          return null;
        });
  }

  /** Copies a host segment to device memory and waits for the copy. */
  public CompletionStage<Void> copyToDevice(MemorySegment host, long devicePtr) {
    requireCount(host, Communicator.elements(host));
    return onDevice(
        "copy",
        () -> {
          copy(devicePtr, host.address(), host.byteSize(), CudaRuntime.HOST_TO_DEVICE);
          awaitStream("copy to device");
          return null;
        });
  }

  /** Copies device memory into a host segment and waits for the copy. */
  public CompletionStage<Void> copyToHost(long devicePtr, MemorySegment host) {
    requireCount(host, Communicator.elements(host));
    return onDevice(
        "copy",
        () -> {
          copy(host.address(), devicePtr, host.byteSize(), CudaRuntime.DEVICE_TO_HOST);
          awaitStream("copy to host");
          return null;
        });
  }

  /** Runs {@code work} on this communicator's device thread (cudaMalloc, cudaMemcpy, ...). */
  public <T> CompletionStage<T> onDevice(String name, Callable<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    CollectiveException failed = failure;
    if (failed != null) {
      return CompletableFuture.failedFuture(failed);
    }
    try {
      thread.execute(
          () -> {
            CollectiveException f = failure;
            if (f != null) {
              result.completeExceptionally(f);
              return;
            }
            try {
              result.complete(work.call());
            } catch (Throwable e) {
              CollectiveException ce = e instanceof CollectiveException c ? c : error(name, e);
              failed(ce);
              result.completeExceptionally(ce);
            }
          });
    } catch (RejectedExecutionException closed) {
      result.completeExceptionally(
          new CollectiveException(
              ErrorKind.CONFLICT, "communicator_closed", "nccl rank " + rank + " is closed"));
    }
    return result;
  }

  public CudaRuntime cuda() {
    return cuda;
  }

  @Override
  public void abort(String reason) {
    failed(
        new CollectiveException(
            ErrorKind.CONFLICT,
            "communicator_closed",
            "nccl rank " + rank + " aborted: " + reason));
  }

  @Override
  public void close() {
    // Abort rather than destroy: ncclCommDestroy waits for peers, and a closing worker must not
    // hang.
    CollectiveException closed =
        new CollectiveException(
            ErrorKind.CONFLICT, "communicator_closed", "nccl rank " + rank + " is closed");
    try {
      thread.execute(
          () -> {
            if (failure == null) {
              failure = closed;
            }
            release();
          });
    } catch (RejectedExecutionException alreadyClosed) {
      return;
    }
    thread.shutdown();
    try {
      thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // On the device thread only.

  private void failed(CollectiveException cause) {
    if (failure == null) {
      failure = cause;
      log.warn("nccl rank {} of {} failed: {}", rank, size, cause.getMessage());
    }
  }

  private void release() {
    if (comm != 0) {
      nccl.commAbort(comm);
      comm = 0;
    }
    if (staging != 0) {
      cuda.free(staging);
      staging = 0;
    }
    if (stream != 0) {
      cuda.streamDestroy(stream);
      stream = 0;
    }
  }

  private long staging(long bytes) {
    if (bytes > stagingBytes) {
      if (staging != 0) {
        check("cudaStreamSynchronize", cuda.streamSynchronize(stream));
        check("cudaFree", cuda.free(staging));
        staging = 0;
      }
      long[] out = new long[1];
      check("cudaMalloc(" + bytes + ")", cuda.malloc(bytes, out));
      staging = out[0];
      stagingBytes = bytes;
    }
    return staging;
  }

  private void copy(long dst, long src, long bytes, int kind) {
    if (bytes > 0) {
      check("cudaMemcpyAsync", cuda.memcpyAsync(dst, src, bytes, kind, stream));
    }
  }

  private void launch(String call, int rc) {
    if (rc != Nccl.SUCCESS && rc != Nccl.IN_PROGRESS) {
      throw abortWith(ncclError(call, rc));
    }
    if (rc == Nccl.IN_PROGRESS) {
      awaitComm(call, System.nanoTime() + timeout.toNanos());
    }
  }

  /** Polls the communicator until it is no longer in progress; aborts it on error or deadline. */
  private void awaitComm(String call, long deadline) {
    int[] state = new int[1];
    while (true) {
      int rc = nccl.commGetAsyncError(comm, state);
      if (rc != Nccl.SUCCESS) {
        throw abortWith(ncclError("ncclCommGetAsyncError", rc));
      }
      if (state[0] == Nccl.SUCCESS) {
        return;
      }
      if (state[0] != Nccl.IN_PROGRESS) {
        throw abortWith(ncclError(call, state[0]));
      }
      if (System.nanoTime() > deadline) {
        throw abortWith(timedOut(call));
      }
      LockSupport.parkNanos(pollNanos);
    }
  }

  /** Polls the stream until its work completed, watching the communicator for remote errors. */
  private void awaitStream(String op) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int[] state = new int[1];
    while (true) {
      int q = cuda.streamQuery(stream);
      if (q == 0) {
        return;
      }
      if (q != CudaRuntime.ERROR_NOT_READY) {
        throw abortWith(cudaError("cudaStreamQuery after " + op, q));
      }
      int rc = nccl.commGetAsyncError(comm, state);
      if (rc == Nccl.SUCCESS && state[0] != Nccl.SUCCESS && state[0] != Nccl.IN_PROGRESS) {
        throw abortWith(ncclError(op, state[0]));
      }
      if (System.nanoTime() > deadline) {
        throw abortWith(timedOut(op));
      }
      LockSupport.parkNanos(pollNanos);
    }
  }

  private CollectiveException abortWith(CollectiveException cause) {
    failed(cause);
    if (comm != 0) {
      // Releases peers blocked in the same collective and frees the communicator's resources.
      nccl.commAbort(comm);
      comm = 0;
    }
    return cause;
  }

  private void check(String call, int rc) {
    if (rc != 0) {
      throw abortWith(cudaError(call, rc));
    }
  }

  private CollectiveException cudaError(String call, int rc) {
    return new CollectiveException(
        ErrorKind.UNAVAILABLE,
        "cuda_error",
        call + " failed on nccl rank " + rank + " (GPU " + device + "): " + cuda.describe(rc));
  }

  private CollectiveException ncclError(String call, int rc) {
    return new CollectiveException(
        ErrorKind.UNAVAILABLE,
        "nccl_error",
        call + " failed on nccl rank " + rank + " of " + size + ": " + nccl.describe(rc, comm));
  }

  private CollectiveException timedOut(String call) {
    return new CollectiveException(
        ErrorKind.TIMEOUT,
        "collective_timeout",
        call
            + " on nccl rank "
            + rank
            + " of "
            + size
            + " did not complete within "
            + timeout.toMillis()
            + " ms; the communicator was aborted");
  }

  private CollectiveException error(String op, Throwable e) {
    return new CollectiveException(
        ErrorKind.UNAVAILABLE, "nccl_error", op + " on nccl rank " + rank + " failed: " + e, e);
  }

  private static void requireCount(MemorySegment s, long count) {
    // cudaMemcpy needs a real address: a heap segment's address() is an offset into an array.
    if (!s.isNative()) {
      throw new CollectiveException(
          ErrorKind.INVALID, "invalid_buffer", "the nccl backend needs off-heap (native) segments");
    }
    if (Communicator.elements(s) != count) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "invalid_buffer",
          "buffer holds " + Communicator.elements(s) + " elements, expected " + count);
    }
  }
}
