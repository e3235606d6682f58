package dev.cohort.training.internal;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.ReduceOp;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU ring backend: one TCP connection to the next rank and one from the previous rank.
 *
 * <p>Allreduce is reduce-scatter followed by all-gather (Patarasuk and Yuan's bandwidth-optimal
 * ring). The buffer is cut into {@code size} chunks ({@link Communicator#shard}); in reduce-scatter
 * step {@code s} rank {@code i} sends chunk {@code i-s-1} and receives chunk {@code i-s-2}, adding
 * its own values, so after {@code n-1} steps it holds the complete reduction of chunk {@code i};
 * the all-gather steps then pass the finished chunks around. Each rank sends {@code 2(n-1)/n} of
 * the buffer.
 *
 * <p>Determinism: a chunk's value is computed once, by its owner, always in the order rank {@code
 * c}, {@code c+1}, ... around the ring, and then copied verbatim to everyone, so every rank holds
 * the same bits, and the same inputs always give the same bits. {@code AVG} divides by {@code n} at
 * the owner, before the all-gather, for the same reason.
 *
 * <p>Pipelining: every chunk travels in segments of {@code chunk-bytes}. A sender thread writes
 * segments while this communicator's operation thread receives and reduces ({@link #exchange}); the
 * sender may send segment {@code k} of step {@code t} as soon as the receiver finished segment
 * {@code k} of step {@code t-1} ({@link Progress}), so all steps overlap. The receiver reduces
 * bytes as they arrive, in reads of at most {@link #READ_STEP} bytes.
 *
 * <p>Failure: a watchdog aborts the operation when the collective timeout passes; aborting closes
 * both sockets, which unblocks this rank's reads and writes and makes the neighbours' fail at once,
 * so a failure travels around the ring in milliseconds instead of each rank waiting out its own
 * timeout.
 *
 * <p>Thread-safety: public methods may be called from any thread; operations are queued on one
 * operation thread per communicator and run in issue order.
 */
public final class RingCommunicator implements Communicator {
  private static final Logger log = LoggerFactory.getLogger(RingCommunicator.class);
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

  /**
   * Most bytes one read takes before they are reduced: small enough that the received values are
   * still in the L2 cache when the reduction reads them, large enough to keep reads few.
   */
  private static final int READ_STEP = 256 * 1024;

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("cohort-ring-watchdog").factory());

  private final int rank;
  private final int size;
  private final SocketChannel toNext;
  private final SocketChannel fromPrev;
  private final Duration timeout;
  private final int segmentElements;
  private final ExecutorService opThread;
  private final ExecutorService sendThread;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment scratch;
  private final ByteBuffer scratchBuffer;
  private final AtomicReference<CollectiveException> failure = new AtomicReference<>();
  private volatile Progress progress;

  RingCommunicator(
      int rank, int size, SocketChannel toNext, SocketChannel fromPrev, TrainingSettings settings) {
    this.rank = rank;
    this.size = size;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.timeout = settings.collectiveTimeout();
    this.segmentElements = settings.chunkBytes() / Float.BYTES;
    this.opThread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("cohort-ring-op-" + rank).factory());
    this.sendThread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("cohort-ring-send-" + rank).factory());
    this.scratch = arena.allocate(settings.chunkBytes(), 64);
    this.scratchBuffer = scratch.asByteBuffer();
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
    return Backend.RING;
  }

  @Override
  public CompletionStage<Void> allReduce(MemorySegment buffer, ReduceOp op) {
    Communicator.elements(buffer);
    return submit("allreduce", () -> ring(buffer, op, true, true));
  }

  @Override
  public CompletionStage<Void> allReduce(MemorySegment send, MemorySegment recv, ReduceOp op) {
    requireSameSize(send, recv);
    return submit(
        "allreduce",
        () -> {
          // Reduce in recv so that send stays untouched; a memcpy is far cheaper than a ring step.
          if (!send.equals(recv)) {
            recv.copyFrom(send);
          }
          ring(recv, op, true, true);
        });
  }

  @Override
  public CompletionStage<Void> reduceScatter(MemorySegment send, MemorySegment recv, ReduceOp op) {
    long count = Communicator.elements(send);
    Shard mine = Communicator.shard(count, size, rank);
    if (Communicator.elements(recv) != mine.count()) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "invalid_buffer",
          "reduceScatter of "
              + count
              + " elements over "
              + size
              + " ranks gives rank "
              + rank
              + " "
              + mine.count()
              + " elements, but recv holds "
              + Communicator.elements(recv));
    }
    return submit(
        "reducescatter",
        () -> {
          // The ring reduces in place; work on a copy so that send keeps the caller's values.
          // Shared, not confined: the sender thread reads it too.
          try (Arena temp = Arena.ofShared()) {
            MemorySegment work = temp.allocate(send.byteSize(), 64);
            work.copyFrom(send);
            ring(work, op, true, false);
            recv.copyFrom(mine.of(work));
          }
        });
  }

  @Override
  public CompletionStage<Void> allGather(MemorySegment send, MemorySegment recv) {
    long count = Communicator.elements(recv);
    Shard mine = Communicator.shard(count, size, rank);
    if (Communicator.elements(send) != mine.count()) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "invalid_buffer",
          "allGather into "
              + count
              + " elements over "
              + size
              + " ranks expects "
              + mine.count()
              + " elements from rank "
              + rank
              + ", but send holds "
              + Communicator.elements(send));
    }
    return submit(
        "allgather",
        () -> {
          mine.of(recv).copyFrom(send);
          ring(recv, ReduceOp.SUM, false, true);
        });
  }

  @Override
  public CompletionStage<Void> broadcast(MemorySegment buffer, int root) {
    Communicator.elements(buffer);
    if (root < 0 || root >= size) {
      throw new CollectiveException(
          ErrorKind.INVALID, "invalid_root", "root " + root + " is outside [0, " + size + ")");
    }
    return submit("broadcast", () -> chain(buffer, root));
  }

  @Override
  public CompletionStage<Void> barrier() {
    return submit(
        "barrier",
        () -> {
          // An allreduce of one value: its only chunk passes every rank in reduce-scatter and
          // again in all-gather, so no rank finishes before every rank has started.
          try (Arena temp = Arena.ofShared()) {
            ring(temp.allocate(Float.BYTES), ReduceOp.SUM, true, true);
          }
        });
  }

  @Override
  public void abort(String reason) {
    fail(
        new CollectiveException(
            ErrorKind.CONFLICT, "communicator_closed", "rank " + rank + " aborted: " + reason));
  }

  @Override
  public void close() {
    abort("communicator closed");
    opThread.shutdown();
    sendThread.shutdown();
    try {
      // The arena backs the scratch buffer: free it only when no operation can still use it.
      if (opThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)
          && sendThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        arena.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IllegalStateException alreadyClosed) {
      // a second close
    }
  }

  @Override
  public String toString() {
    return "RingCommunicator[rank " + rank + " of " + size + "]";
  }

  // ---------------------------------------------------------------------------------------------

  private interface Op {
    void run() throws IOException, InterruptedException;
  }

  private CompletionStage<Void> submit(String name, Op op) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    CollectiveException failed = failure.get();
    if (failed != null) {
      return CompletableFuture.failedFuture(failed);
    }
    try {
      opThread.execute(() -> runOp(name, op, result));
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      result.completeExceptionally(
          new CollectiveException(
              ErrorKind.CONFLICT, "communicator_closed", "rank " + rank + " is closed"));
    }
    return result;
  }

  private void runOp(String name, Op op, CompletableFuture<Void> result) {
    CollectiveException failed = failure.get();
    if (failed != null) {
      result.completeExceptionally(failed);
      return;
    }
    ScheduledFuture<?> watchdog =
        WATCHDOG.schedule(
            () ->
                fail(
                    new CollectiveException(
                        ErrorKind.TIMEOUT,
                        "collective_timeout",
                        name
                            + " on rank "
                            + rank
                            + " of "
                            + size
                            + " did not complete within "
                            + timeout.toMillis()
                            + " ms: a peer is gone or stopped taking part")),
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      op.run();
      watchdog.cancel(false);
      failed = failure.get();
      if (failed != null) {
        result.completeExceptionally(failed);
      } else {
        result.complete(null);
      }
    } catch (Throwable e) {
      watchdog.cancel(false);
      CollectiveException cause = failure.get();
      if (cause == null) {
        cause = describe(name, e);
        fail(cause);
        cause = failure.get();
      }
      result.completeExceptionally(cause);
    }
  }

  private CollectiveException describe(String name, Throwable e) {
    if (e instanceof CollectiveException c) {
      return c;
    }
    if (e instanceof IOException) {
      return new CollectiveException(
          ErrorKind.UNAVAILABLE,
          "peer_failed",
          name + " on rank " + rank + " of " + size + " lost a ring connection: " + e,
          e);
    }
    return new CollectiveException(
        ErrorKind.UNAVAILABLE,
        "peer_failed",
        name + " on rank " + rank + " of " + size + " failed: " + e,
        e);
  }

  /** Records the first failure and closes both connections, which unblocks every thread here. */
  private void fail(CollectiveException cause) {
    if (failure.compareAndSet(null, cause)) {
      if (cause.code().equals("communicator_closed")) {
        log.debug("ring rank {} of {} closed: {}", rank, size, cause.getMessage());
      } else {
        log.warn("ring rank {} of {} aborted: {}", rank, size, cause.getMessage());
      }
    }
    Progress p = progress;
    if (p != null) {
      p.fail();
    }
    closeQuietly(toNext);
    closeQuietly(fromPrev);
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing is best effort; the failure is already recorded
      }
    }
  }

  private static void requireSameSize(MemorySegment a, MemorySegment b) {
    long n = Communicator.elements(a);
    if (Communicator.elements(b) != n) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "invalid_buffer",
          "send holds " + n + " elements but recv holds " + Communicator.elements(b));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The ring algorithm

  /**
   * Runs reduce-scatter steps (when {@code reduce}) and/or all-gather steps (when {@code gather})
   * on {@code buffer} in place. Reduce-scatter alone leaves chunk {@code rank} reduced; all-gather
   * alone expects chunk {@code rank} to hold this rank's values.
   *
   * <p>Entry {@code t·segments + k} is segment {@code k} of step {@code t}. At step {@code t} a
   * rank sends the chunk it received at step {@code t-1}, so sending segment {@code k} of step
   * {@code t} waits only for receiving (and reducing) segment {@code k} of step {@code t-1}.
   */
  private void ring(MemorySegment buffer, ReduceOp op, boolean reduce, boolean gather)
      throws IOException, InterruptedException {
    long count = Communicator.elements(buffer);
    int n = size;
    if (n == 1 || count == 0) {
      return; // avg over one rank is the value itself; nothing to exchange
    }
    int rsSteps = reduce ? n - 1 : 0;
    int steps = rsSteps + (gather ? n - 1 : 0);
    long maxChunk = (count + n - 1) / n;
    int segments = (int) Math.max(1, (maxChunk + segmentElements - 1) / segmentElements);
    int entries = steps * segments;
    exchange(
        new Plan() {
          @Override
          int sends() {
            return entries;
          }

          @Override
          MemorySegment send(int i) {
            int t = i / segments;
            return segment(
                t < rsSteps ? mod(rank - t - 1) : mod(rank - (t - rsSteps)), i % segments);
          }

          @Override
          int sendAfter(int i) {
            return i < segments ? 0 : i - segments + 1;
          }

          @Override
          int receives() {
            return entries;
          }

          @Override
          MemorySegment receive(int i) {
            int t = i / segments;
            int chunk = t < rsSteps ? mod(rank - t - 2) : mod(rank - (t - rsSteps) - 1);
            return segment(chunk, i % segments);
          }

          @Override
          boolean reduces(int i) {
            return i / segments < rsSteps;
          }

          @Override
          int divisor(int i) {
            return op == ReduceOp.AVG && i / segments == rsSteps - 1 ? n : 0;
          }

          private MemorySegment segment(int chunk, int k) {
            Shard c = Communicator.shard(count, n, chunk);
            long start = k * (long) segmentElements;
            long len = Math.max(0, Math.min(segmentElements, c.count() - start));
            return buffer.asSlice((c.offset() + start) * Float.BYTES, len * Float.BYTES);
          }
        },
        op);
  }

  /**
   * Broadcast along the chain root, root+1, ...: each rank receives a segment and forwards it, so
   * the segments stream through all ranks at once.
   */
  private void chain(MemorySegment buffer, int root) throws IOException, InterruptedException {
    long count = Communicator.elements(buffer);
    if (size == 1 || count == 0) {
      return;
    }
    int segments = (int) ((count + segmentElements - 1) / segmentElements);
    boolean forwards = mod(rank + 1) != root;
    boolean receives = rank != root;
    exchange(
        new Plan() {
          @Override
          int sends() {
            return forwards ? segments : 0;
          }

          @Override
          MemorySegment send(int i) {
            return segment(i);
          }

          @Override
          int sendAfter(int i) {
            return receives ? i + 1 : 0;
          }

          @Override
          int receives() {
            return receives ? segments : 0;
          }

          @Override
          MemorySegment receive(int i) {
            return segment(i);
          }

          @Override
          boolean reduces(int i) {
            return false;
          }

          @Override
          int divisor(int i) {
            return 0;
          }

          private MemorySegment segment(int k) {
            long offset = k * (long) segmentElements;
            long len = Math.min(segmentElements, count - offset);
            return buffer.asSlice(offset * Float.BYTES, len * Float.BYTES);
          }
        },
        ReduceOp.SUM);
  }

  /**
   * What one operation sends to the next rank and receives from the previous one: numbered entries,
   * each a slice of the caller's buffer (possibly empty), sent and received in order.
   */
  private abstract static class Plan {
    abstract int sends();

    abstract MemorySegment send(int i);

    /** How many receives must be complete (and reduced) before send {@code i} may start. */
    abstract int sendAfter(int i);

    abstract int receives();

    abstract MemorySegment receive(int i);

    /** Whether receive {@code i} is reduced into its slice (else it is copied in verbatim). */
    abstract boolean reduces(int i);

    /** Divide receive {@code i}'s reduced values by this (AVG's final step), or 0 for none. */
    abstract int divisor(int i);
  }

  /**
   * Moves a {@link Plan}: a sender thread writes the sends in order, each once the receives it
   * depends on are done, while this thread reads and reduces the receives. One thread per
   * direction, with blocking sockets, is what makes loopback TCP fast: each side copies into or out
   * of the kernel while the other side's copy of the same bytes is still in the cache, instead of a
   * single thread alternating between directions and letting socket buffers fill up.
   */
  private void exchange(Plan plan, ReduceOp op) throws IOException, InterruptedException {
    int sends = plan.sends();
    int receives = plan.receives();
    Progress p = new Progress(receives);
    progress = p;
    if (failure.get() != null) {
      throw failure.get();
    }
    Future<?> sender =
        sends == 0
            ? null
            : sendThread.submit(
                () -> {
                  for (int i = 0; i < sends; i++) {
                    p.awaitAtLeast(plan.sendAfter(i));
                    writeFully(plan.send(i));
                  }
                  return null;
                });
    try {
      for (int i = 0; i < receives; i++) {
        MemorySegment target = plan.receive(i);
        if (plan.reduces(i)) {
          receiveAndReduce(target, op, plan.divisor(i));
        } else {
          readFully(target.asByteBuffer());
        }
        p.advance();
      }
      if (sender != null) {
        sender.get();
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("ring sender failed: " + cause, cause);
    } finally {
      progress = null;
      if (sender != null) {
        sender.cancel(true);
      }
    }
  }

  /**
   * Reads {@code target}'s length into the scratch buffer and reduces into {@code target} whatever
   * whole floats have arrived after each read, so the values are reduced while still in the cache
   * the kernel copied them into; reads take at most {@link #READ_STEP} bytes for the same reason.
   */
  private void receiveAndReduce(MemorySegment target, ReduceOp op, int divisor) throws IOException {
    long length = target.byteSize();
    ByteBuffer in = scratchBuffer.clear();
    long reduced = 0;
    while (in.position() < length) {
      in.limit((int) Math.min(length, in.position() + (long) READ_STEP));
      if (fromPrev.read(in) < 0) {
        throw new EOFException("rank " + mod(rank - 1) + " closed its connection");
      }
      long whole = in.position() & ~(long) (Float.BYTES - 1);
      if (whole > reduced) {
        reduceInto(
            target.asSlice(reduced, whole - reduced),
            scratch.asSlice(reduced, whole - reduced),
            (whole - reduced) / Float.BYTES,
            op,
            divisor);
        reduced = whole;
      }
    }
  }

  /** target = op(received, target), then divided by {@code divisor} when it is not 0. */
  private static void reduceInto(
      MemorySegment target, MemorySegment received, long len, ReduceOp op, int divisor) {
    // One counted loop per case, without branches inside, so that C2 vectorises it. AVG divides
    // in the same pass; the rounding is the same as adding first and dividing afterwards.
    if (divisor != 0) {
      float d = divisor;
      for (long j = 0; j < len; j++) {
        target.setAtIndex(F32, j, (received.getAtIndex(F32, j) + target.getAtIndex(F32, j)) / d);
      }
      return;
    }
    switch (op) {
      case SUM, AVG -> {
        for (long j = 0; j < len; j++) {
          target.setAtIndex(F32, j, received.getAtIndex(F32, j) + target.getAtIndex(F32, j));
        }
      }
      case MAX -> {
        for (long j = 0; j < len; j++) {
          target.setAtIndex(
              F32, j, Math.max(received.getAtIndex(F32, j), target.getAtIndex(F32, j)));
        }
      }
      case MIN -> {
        for (long j = 0; j < len; j++) {
          target.setAtIndex(
              F32, j, Math.min(received.getAtIndex(F32, j), target.getAtIndex(F32, j)));
        }
      }
    }
  }

  private void writeFully(MemorySegment slice) throws IOException {
    ByteBuffer b = slice.asByteBuffer();
    while (b.hasRemaining()) {
      toNext.write(b);
    }
  }

  private void readFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (fromPrev.read(b) < 0) {
        throw new EOFException("rank " + mod(rank - 1) + " closed its connection");
      }
    }
  }

  private int mod(int r) {
    return Math.floorMod(r, size);
  }

  /**
   * How many receives the receiver has finished in the current operation; the sender waits on it. A
   * monitor is cheap at one wake-up per segment of about a megabyte.
   */
  private static final class Progress {
    private final long total;
    private long done;
    private boolean failed;

    Progress(long total) {
      this.total = total;
    }

    synchronized void advance() {
      done++;
      notifyAll();
    }

    synchronized void fail() {
      failed = true;
      notifyAll();
    }

    synchronized void awaitAtLeast(long n) throws InterruptedException, IOException {
      while (done < Math.min(n, total) && !failed) {
        wait();
      }
      if (failed) {
        throw new IOException("operation aborted");
      }
    }
  }
}
