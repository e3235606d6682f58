package dev.cohort.training.collective;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletionStage;

/**
 * One rank's handle on a group of {@link #size()} ranks that run collectives together, as NCCL's
 * {@code ncclComm_t} or a {@code torch.distributed} process group.
 *
 * <p>Buffers are float32 values in native byte order in {@link MemorySegment}s (off-heap segments
 * avoid a copy on the ring backend; the nccl backend stages host segments through device memory). A
 * buffer's size must be a multiple of 4 bytes. Operations are asynchronous: each returns a stage
 * that completes when the result is in place, and the caller must neither read nor write the
 * buffers before that.
 *
 * <p>Ordering rule (the same as NCCL's and Gloo's): every rank must issue the same collectives, in
 * the same order, with the same element counts. Operations on one communicator run one after the
 * other in issue order, so a caller may issue several (gradient buckets) and await them later.
 *
 * <p>Failure: a collective that does not complete within the configured timeout, or loses a
 * connection, fails with a {@link CollectiveException} and aborts the communicator; later
 * operations fail immediately. Thread-safety: all methods may be called from any thread.
 */
public interface Communicator extends AutoCloseable {

  /** This rank, in {@code [0, size)}. */
  int rank();

  /** Number of ranks. */
  int size();

  /** The backend that runs the collectives. */
  Backend backend();

  /** In place: every rank's {@code buffer} ends up holding the element-wise reduction. */
  CompletionStage<Void> allReduce(MemorySegment buffer, ReduceOp op);

  /** Out of place: {@code recv} gets the reduction of every rank's {@code send}. */
  CompletionStage<Void> allReduce(MemorySegment send, MemorySegment recv, ReduceOp op);

  /**
   * Reduces every rank's {@code send} (count elements) and leaves this rank's {@link #shard} of the
   * result in {@code recv}, whose size must equal that shard's. Counts that do not divide by the
   * size are allowed: the first {@code count % size} ranks get one element more.
   */
  CompletionStage<Void> reduceScatter(MemorySegment send, MemorySegment recv, ReduceOp op);

  /**
   * Concatenates every rank's {@code send} into {@code recv} in rank order; {@code send} must hold
   * exactly this rank's {@link #shard} of {@code recv}.
   */
  CompletionStage<Void> allGather(MemorySegment send, MemorySegment recv);

  /** Copies {@code root}'s {@code buffer} into every rank's {@code buffer}. */
  CompletionStage<Void> broadcast(MemorySegment buffer, int root);

  /** Completes on every rank only after every rank has called it. */
  CompletionStage<Void> barrier();

  /**
   * True where {@link #allReduceInDeviceMemory} works: the communicator runs on a GPU (nccl) and
   * reduces device buffers in place, with no host round trip.
   */
  default boolean reducesDeviceMemory() {
    return false;
  }

  /**
   * In-place SUM/AVG/... allreduce of a device buffer: {@code buffer} holds a device address and
   * size (as the cublas compute's buffers do), on this communicator's GPU. The caller makes sure
   * the values are final on the device first. Fails with {@code invalid_buffer} where {@link
   * #reducesDeviceMemory()} is false.
   */
  default CompletionStage<Void> allReduceInDeviceMemory(MemorySegment buffer, ReduceOp op) {
    return java.util.concurrent.CompletableFuture.failedFuture(
        CollectiveException.invalidBuffer(backend().id() + " cannot reduce device memory"));
  }

  /**
   * Fails every pending and later operation with {@code reason} and releases connections or the
   * native communicator without waiting for peers (what a coordinator does when a worker died).
   */
  void abort(String reason);

  /** Aborts if operations are pending, then releases resources. Idempotent. */
  @Override
  void close();

  /** The part of {@code count} elements that {@code rank} of {@code size} ranks owns. */
  static Shard shard(long count, int size, int rank) {
    long base = count / size;
    long rem = count % size;
    long offset = rank * base + Math.min(rank, rem);
    return new Shard(offset, base + (rank < rem ? 1 : 0));
  }

  /** Number of float32 elements in {@code buffer}, checking that its size is a multiple of 4. */
  static long elements(MemorySegment buffer) {
    long bytes = buffer.byteSize();
    if (bytes % Float.BYTES != 0) {
      throw CollectiveException.invalidBuffer(
          "a float32 buffer must be a multiple of 4 bytes, this one has " + bytes);
    }
    return bytes / Float.BYTES;
  }

  /**
   * A contiguous range of elements.
   *
   * @param offset first element
   * @param count number of elements
   */
  record Shard(long offset, long count) {
    /** The same range of {@code buffer} (a float32 segment). */
    public MemorySegment of(MemorySegment buffer) {
      return buffer.asSlice(offset * ValueLayout.JAVA_FLOAT.byteSize(), count * Float.BYTES);
    }
  }
}
