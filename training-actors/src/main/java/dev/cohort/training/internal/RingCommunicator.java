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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * its own values, so after {@code n-1} steps it holds the complete reduction of chunk {@code i}; the
 * all-gather steps then pass the finished chunks around. Each rank sends {@code 2(n-1)/n} of the
 * buffer.
 *
 * <p>Determinism: a chunk's value is computed once, by its owner, always in the order rank {@code
 * c}, {@code c+1}, ... around the ring, and then copied verbatim to everyone, so every rank holds
 * the same bits, and the same inputs always give the same bits. {@code AVG} divides by {@code n} at
 * the owner, before the all-gather, for the same reason.
 *
 * <p>Pipelining: every chunk travels in segments of {@code chunk-bytes}. The operation thread
 * drives both sockets without blocking ({@link #exchange}): it may send segment {@code k} of step
 * {@code t} as soon as it has received and reduced segment {@code k} of step {@code t-1}, so all
 * steps overlap, and it reduces received bytes as they arrive.
 *
 * <p>Failure: a watchdog aborts the operation when the collective timeout passes; aborting closes
 * both sockets and the selector, which ends a waiting select and makes the neighbours' reads and
 * writes fail at once, so a failure travels around the ring in milliseconds instead of each rank
 * waiting out its own timeout.
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
  private final Selector selector;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment scratch;
  private final ByteBuffer scratchBuffer;
  private final AtomicReference<CollectiveException> failure = new AtomicReference<>();

  RingCommunicator(
      int rank, int size, SocketChannel toNext, SocketChannel fromPrev, TrainingSettings settings)
      throws IOException {
    this.rank = rank;
    this.size = size;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.timeout = settings.collectiveTimeout();
    this.segmentElements = settings.chunkBytes() / Float.BYTES;
    this.opThread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("cohort-ring-op-" + rank).factory());
    if (size > 1) {
      toNext.configureBlocking(false);
      fromPrev.configureBlocking(false);
      this.selector = Selector.open();
      toNext.register(selector, 0);
      fromPrev.register(selector, 0);
    } else {
      this.selector = null;
    }
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
          "reduceScatter of " + count + " elements over " + size + " ranks gives rank " + rank
              + " " + mine.count() + " elements, but recv holds " + Communicator.elements(recv));
    }
    return submit(
        "reducescatter",
        () -> {
          // The ring reduces in place; work on a copy so that send keeps the caller's values.
          try (Arena temp = Arena.ofConfined()) {
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
          "allGather into " + count + " elements over " + size + " ranks expects " + mine.count()
              + " elements from rank " + rank + ", but send holds " + Communicator.elements(send));
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
          try (Arena temp = Arena.ofConfined()) {
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
    try {
      // The arena backs the scratch buffer: free it only when no operation can still use it.
      if (opThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
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
    void run() throws IOException;
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
                        name + " on rank " + rank + " of " + size + " did not complete within "
                            + timeout.toMillis() + " ms: a peer is gone or stopped taking part")),
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

  /**
   * Records the first failure and closes both connections and the selector, which ends the
   * operation thread's select. Closing the selector also completes the close of the channels: a
   * channel registered with a selector keeps its socket open until it is deregistered.
   */
  private void fail(CollectiveException cause) {
    if (failure.compareAndSet(null, cause)) {
      if (cause.code().equals("communicator_closed")) {
        log.debug("ring rank {} of {} closed: {}", rank, size, cause.getMessage());
      } else {
        log.warn("ring rank {} of {} aborted: {}", rank, size, cause.getMessage());
      }
    }
    closeQuietly(toNext);
    closeQuietly(fromPrev);
    if (selector != null) {
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing is best effort; the failure is already recorded
      }
    }
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
   * <p>Entry {@code t·segments + k} is segment {@code k} of step {@code t}. At step {@code t} a rank
   * sends the chunk it received at step {@code t-1}, so sending segment {@code k} of step {@code t}
   * waits only for receiving (and reducing) segment {@code k} of step {@code t-1}.
   */
  private void ring(MemorySegment buffer, ReduceOp op, boolean reduce, boolean gather)
      throws IOException {
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
            return segment(t < rsSteps ? mod(rank - t - 1) : mod(rank - (t - rsSteps)), i % segments);
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
  private void chain(MemorySegment buffer, int root) throws IOException {
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
   * What one operation sends to the next rank and receives from the previous one: numbered
   * entries, each a slice of the caller's buffer (possibly empty), sent and received in order.
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
   * Moves a {@link Plan} with non-blocking sockets on the calling thread: it writes whatever the
   * next rank's socket takes and reads whatever the previous rank's socket holds, and waits in the
   * selector only when neither moves. Sending and receiving overlap without a second thread, which
   * matters when ranks share few cores: a dedicated sender thread costs a wake-up and a context
   * switch whenever a socket buffer fills or drains, and competes with the reducing thread.
   *
   * <p>Reduction happens as bytes arrive, at most {@link #READ_STEP} bytes per read, so the
   * received values are reduced while they are still in the cache the kernel copied them into.
   */
  private void exchange(Plan plan, ReduceOp op) throws IOException {
    int sends = plan.sends();
    int receives = plan.receives();
    int sent = 0;
    int received = 0;
    ByteBuffer out = null;
    ByteBuffer in = null;
    MemorySegment target = null;
    boolean reducing = false;
    int divisor = 0;
    long reduced = 0;
    while (sent < sends || received < receives) {
      CollectiveException failed = failure.get();
      if (failed != null) {
        throw failed;
      }
      boolean moved = false;
      if (sent < sends && received >= plan.sendAfter(sent)) {
        if (out == null) {
          out = plan.send(sent).asByteBuffer();
        }
        if (out.hasRemaining() && toNext.write(out) > 0) {
          moved = true;
        }
        if (!out.hasRemaining()) {
          sent++;
          out = null;
          moved = true;
        }
      }
      if (received < receives) {
        if (in == null) {
          target = plan.receive(received);
          reducing = plan.reduces(received);
          divisor = plan.divisor(received);
          reduced = 0;
          in = reducing ? scratchBuffer.clear().limit(0) : target.asByteBuffer().limit(0);
        }
        long length = target.byteSize();
        if (in.position() < length) {
          in.limit((int) Math.min(length, in.position() + (long) READ_STEP));
          int read = fromPrev.read(in);
          if (read < 0) {
            throw new EOFException("rank " + mod(rank - 1) + " closed its connection");
          }
          if (read > 0) {
            moved = true;
            long whole = in.position() & ~(long) (Float.BYTES - 1);
            if (reducing && whole > reduced) {
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
        if (in.position() == length) {
          received++;
          in = null;
          moved = true;
        }
      }
      if (!moved) {
        await(
            received < receives,
            sent < sends && received >= plan.sendAfter(sent));
      }
    }
  }

  /** Waits until the previous rank's socket is readable or the next rank's is writable. */
  private void await(boolean read, boolean write) throws IOException {
    fromPrev.keyFor(selector).interestOps(read ? SelectionKey.OP_READ : 0);
    toNext.keyFor(selector).interestOps(write ? SelectionKey.OP_WRITE : 0);
    // No timeout: the watchdog's fail() closes the selector, which ends the select.
    selector.select();
    selector.selectedKeys().clear();
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
          target.setAtIndex(F32, j, Math.max(received.getAtIndex(F32, j), target.getAtIndex(F32, j)));
        }
      }
      case MIN -> {
        for (long j = 0; j < len; j++) {
          target.setAtIndex(F32, j, Math.min(received.getAtIndex(F32, j), target.getAtIndex(F32, j)));
        }
      }
    }
  }

  private int mod(int r) {
    return Math.floorMod(r, size);
  }
}
