package dev.cohort.training;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.ReduceOp;
import dev.cohort.training.compute.Compute;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One rank of synchronous data-parallel training, the loop PyTorch DDP runs: each step every rank
 * computes gradients on its own share of the batch, the gradients are summed across ranks, and
 * every rank applies the same update, so the replicas stay identical.
 *
 * <p>Per step: take this rank's next {@link DistributedSampler} indices; run forward and backward;
 * as soon as the backward pass completes a {@link GradientBucket}, start its allreduce (buckets run
 * in order on the communicator while the backward pass goes on); allreduce the loss; wait for all;
 * step the optimizer. Where the model's compute keeps its gradients off-heap (openblas) the buckets
 * are reduced in place, with no copy; in device memory (cublas) the communicator (nccl) reduces
 * them in place on the GPU once the compute's stream has finished them; heap gradients (the java
 * compute) are copied into off-heap bucket buffers and back.
 *
 * <p>Exact averaging with uneven shares: each rank scales its gradient by {@code 1 / global batch}
 * (the number of samples all ranks process in this step, which every rank computes from the
 * sampler) and the ranks SUM, so the result is the mean gradient over exactly the samples seen,
 * also in the last step of an epoch when some ranks have fewer or none.
 *
 * <p>Identical replicas: the communicator gives every rank the same bits, the optimizer is
 * element-wise and deterministic, and {@link #broadcastParameters} starts all ranks from rank 0's
 * parameters. Not thread-safe: one thread drives one trainer.
 */
public final class DataParallelTrainer implements AutoCloseable {
  private final Communicator comm;
  private final Mlp model;
  private final Optimizer optimizer;
  private final TrainingData data;
  private final int batchSize;
  private final DistributedSampler sampler;
  private final List<GradientBucket> buckets;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment[] bucketBuffers; // null where buckets are reduced in place
  private final boolean inPlace; // gradients are off-heap or device memory: reduce them in place
  private final boolean onDevice; // device gradients (cublas), reduced by the communicator's GPU
  private final MemorySegment lossBuffer;
  private final float[] batchX;
  private final int[] batchLabels;
  private int epoch;
  private int stepInEpoch;
  private long globalStep;
  private int[] epochIndices;
  private long firstLaunch;
  private final java.util.concurrent.atomic.AtomicLong lastDone =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * One step's outcome, the same on every rank except the timings.
   *
   * @param epoch epoch of the step
   * @param step step within the epoch
   * @param globalStep steps completed by this trainer, including this one
   * @param loss mean cross-entropy over all ranks' samples of this step (before the update)
   * @param samples samples all ranks processed in this step
   * @param dataNanos this rank's time gathering its share of the batch (data loading)
   * @param computeNanos this rank's forward and backward time
   * @param exposedCommNanos time this rank waited for allreduces after its backward pass ended
   * @param allreduceOps gradient allreduces this step ran (one per bucket)
   * @param allreduceBytes bytes those allreduces reduced (the buffer sizes, not the wire bytes)
   * @param allreduceNanos from the first bucket's launch to the last bucket's completion (the
   *     buckets run one after another on the communicator, overlapping the backward pass)
   * @param optimizerNanos this rank's optimizer step (and, for heap gradients, the copy back)
   */
  public record StepResult(
      int epoch,
      int step,
      long globalStep,
      double loss,
      int samples,
      long dataNanos,
      long computeNanos,
      long exposedCommNanos,
      int allreduceOps,
      long allreduceBytes,
      long allreduceNanos,
      long optimizerNanos) {}

  private DataParallelTrainer(
      Communicator comm,
      Mlp model,
      Optimizer optimizer,
      TrainingData data,
      int batchSize,
      long bucketCapBytes,
      long seed) {
    if (data.features() != model.spec().inputs() || data.classes() != model.spec().classes()) {
      throw TrainingError.DATASET_MISMATCH.exception(
          "the dataset has "
              + data.features()
              + " features and "
              + data.classes()
              + " classes, the model "
              + model.spec().layers()
              + " expects "
              + model.spec().inputs()
              + " and "
              + model.spec().classes());
    }
    if (batchSize < 1) {
      throw TrainingError.INVALID_BATCH_SIZE.exception(
          "batchSize must be at least 1, not " + batchSize);
    }
    this.comm = comm;
    this.model = model;
    this.optimizer = optimizer;
    this.data = data;
    this.batchSize = batchSize;
    this.sampler = new DistributedSampler(data.size(), comm.size(), comm.rank(), seed);
    this.buckets = model.buckets(bucketCapBytes);
    this.onDevice = !model.compute().hostMemory();
    if (onDevice && !comm.reducesDeviceMemory()) {
      throw TrainingError.COMPUTE_UNAVAILABLE.exception(
          model.compute().kind().id()
              + " keeps gradients in device memory, which the "
              + comm.backend().id()
              + " backend cannot reduce (use nccl)");
    }
    this.inPlace = onDevice || model.gradients().isNative();
    this.bucketBuffers = new MemorySegment[buckets.size()];
    for (GradientBucket b : buckets) {
      bucketBuffers[b.index()] =
          inPlace ? null : arena.allocate((long) b.length() * Float.BYTES, 64);
    }
    this.lossBuffer = arena.allocate(Float.BYTES * 2L, 8);
    this.batchX = new float[batchSize * data.features()];
    this.batchLabels = new int[batchSize];
  }

  /**
   * @param bucketCapBytes gradient bucket size ({@code bucketCapMb << 20})
   * @param seed seeds the per-epoch shuffles; must be the same on every rank
   */
  public static DataParallelTrainer create(
      Communicator comm,
      Mlp model,
      Optimizer optimizer,
      TrainingData data,
      int batchSize,
      long bucketCapBytes,
      long seed) {
    return new DataParallelTrainer(comm, model, optimizer, data, batchSize, bucketCapBytes, seed);
  }

  /** Copies rank 0's parameters to every rank (call once before the first step on every rank). */
  public void broadcastParameters() {
    MemorySegment params = model.parameters();
    if (inPlace) {
      await(comm.broadcast(params, 0).toCompletableFuture());
      return;
    }
    float[] p = model.copyParameters();
    MemorySegment buffer = arena.allocate((long) p.length * Float.BYTES, 64);
    MemorySegment.copy(p, 0, buffer, ValueLayout.JAVA_FLOAT, 0, p.length);
    await(comm.broadcast(buffer, 0).toCompletableFuture());
    MemorySegment.copy(buffer, ValueLayout.JAVA_FLOAT, 0, p, 0, p.length);
    model.loadParameters(p);
  }

  /**
   * Makes every rank a copy of rank 0's replica: parameters, optimizer state and position (epoch,
   * step in epoch, global step). A new generation calls it first, so that survivors of a lost
   * worker and newcomers continue from the most advanced replica (the coordinator ranks it 0). The
   * position travels as raw int bits inside the float buffer: broadcast copies bytes, so no
   * rounding can touch it. Rare, so it goes through one host buffer whatever the compute.
   */
  public void synchronizeReplicas() {
    Compute compute = model.compute();
    float[] p = model.copyParameters();
    MemorySegment[] state = optimizer.state();
    long total = p.length + 5L;
    for (MemorySegment s : state) {
      total += Optimizer.length(s);
    }
    MemorySegment buffer = arena.allocate(total * Float.BYTES, 64);
    long at = 0;
    MemorySegment.copy(p, 0, buffer, ValueLayout.JAVA_FLOAT, 0, p.length);
    at += p.length;
    for (MemorySegment s : state) {
      float[] host = new float[Optimizer.length(s)];
      compute.read(s, 0, host, 0, host.length);
      MemorySegment.copy(host, 0, buffer, ValueLayout.JAVA_FLOAT, at * Float.BYTES, host.length);
      at += host.length;
    }
    long steps = optimizer.steps();
    int[] position = {epoch, stepInEpoch, (int) globalStep, (int) (steps >>> 32), (int) steps};
    for (int v : position) {
      buffer.setAtIndex(ValueLayout.JAVA_INT, at++, v);
    }
    await(comm.broadcast(buffer, 0).toCompletableFuture());
    at = 0;
    MemorySegment.copy(buffer, ValueLayout.JAVA_FLOAT, 0, p, 0, p.length);
    model.loadParameters(p);
    at += p.length;
    for (MemorySegment s : state) {
      float[] host = new float[Optimizer.length(s)];
      MemorySegment.copy(buffer, ValueLayout.JAVA_FLOAT, at * Float.BYTES, host, 0, host.length);
      compute.write(host, 0, s, 0, host.length);
      at += host.length;
    }
    epoch = buffer.getAtIndex(ValueLayout.JAVA_INT, at);
    stepInEpoch = buffer.getAtIndex(ValueLayout.JAVA_INT, at + 1);
    globalStep = buffer.getAtIndex(ValueLayout.JAVA_INT, at + 2);
    optimizer.restoreSteps(
        ((long) buffer.getAtIndex(ValueLayout.JAVA_INT, at + 3) << 32)
            | (buffer.getAtIndex(ValueLayout.JAVA_INT, at + 4) & 0xFFFFFFFFL));
    epochIndices = null; // the shares depend on the number of ranks, which may have changed
  }

  /**
   * Where training stands: the next step to run is step {@code stepInEpoch} of {@code epoch}, and
   * {@code globalStep} steps ran before it. What a checkpoint and a new generation carry over.
   */
  public record Position(int epoch, int stepInEpoch, long globalStep) {
    public static final Position START = new Position(0, 0, 0);
  }

  public Position position() {
    return new Position(epoch, stepInEpoch, globalStep);
  }

  /**
   * Continues from another trainer's position on the same replica (a new generation on the same
   * model and optimizer); call {@link #synchronizeReplicas} after it on every rank.
   */
  public void resumeFrom(DataParallelTrainer previous) {
    resumeFrom(previous.position());
  }

  /**
   * Continues from {@code position} (a survivor's replica or a loaded checkpoint). The step index
   * within the epoch is kept, clamped to this generation's steps per epoch (fewer ranks mean more
   * steps per epoch, more ranks fewer); call {@link #synchronizeReplicas} after it on every rank.
   */
  public void resumeFrom(Position position) {
    this.epoch = position.epoch();
    this.stepInEpoch = Math.min(position.stepInEpoch(), stepsPerEpoch());
    this.globalStep = position.globalStep();
    if (stepInEpoch == stepsPerEpoch()) {
      stepInEpoch = 0;
      epoch++;
    }
    epochIndices = null;
  }

  public int stepsPerEpoch() {
    return sampler.stepsPerEpoch(batchSize);
  }

  public int epoch() {
    return epoch;
  }

  public long globalStep() {
    return globalStep;
  }

  public Mlp model() {
    return model;
  }

  /** Runs one synchronous step on this rank; every rank must call it the same number of times. */
  public StepResult step() {
    if (epochIndices == null) {
      epochIndices = sampler.indices(epoch);
    }
    long loading = System.nanoTime();
    int local = sampler.localBatch(comm.rank(), stepInEpoch, batchSize);
    int global = sampler.globalBatch(stepInEpoch, batchSize);
    data.gather(epochIndices, stepInEpoch * batchSize, local, batchX, batchLabels);

    MemorySegment grads = model.gradients();
    List<CompletableFuture<Void>> pending = new ArrayList<>(buckets.size() + 1);
    firstLaunch = 0;
    lastDone.set(0);
    long start = System.nanoTime();
    double lossSum;
    if (local > 0) {
      int[] next = {0};
      lossSum =
          model.forwardBackward(
              batchX,
              batchLabels,
              local,
              1f / global,
              layer -> {
                while (next[0] < buckets.size()
                    && buckets.get(next[0]).readyAfterLayer() == layer) {
                  pending.add(launch(buckets.get(next[0]++), grads));
                }
              });
    } else {
      // This rank's share ran out: it contributes zeros, but must still take part in every
      // collective, in the same order as the others.
      model.compute().zero(grads, 0, model.parameterCount());
      lossSum = 0;
      for (GradientBucket b : buckets) {
        pending.add(launch(b, grads));
      }
    }
    long computed = System.nanoTime();
    lossBuffer.set(ValueLayout.JAVA_FLOAT, 0, (float) lossSum);
    pending.add(
        comm.allReduce(lossBuffer.asSlice(0, Float.BYTES), ReduceOp.SUM).toCompletableFuture());
    for (CompletableFuture<Void> f : pending) {
      await(f);
    }
    long communicated = System.nanoTime();
    if (!inPlace) {
      for (GradientBucket b : buckets) {
        MemorySegment.copy(
            bucketBuffers[b.index()],
            0,
            grads,
            (long) b.offset() * Float.BYTES,
            (long) b.length() * Float.BYTES);
      }
    }
    optimizer.step(model.parameters(), grads);
    model.compute().synchronize();
    long stepped = System.nanoTime();
    double loss = lossBuffer.get(ValueLayout.JAVA_FLOAT, 0) / (double) global;

    StepResult result =
        new StepResult(
            epoch,
            stepInEpoch,
            ++globalStep,
            loss,
            global,
            start - loading,
            computed - start,
            communicated - computed,
            buckets.size(),
            (long) model.parameterCount() * Float.BYTES,
            Math.max(0, lastDone.get() - firstLaunch),
            stepped - communicated);
    if (++stepInEpoch == stepsPerEpoch()) {
      stepInEpoch = 0;
      epoch++;
      epochIndices = null;
    }
    return result;
  }

  private CompletableFuture<Void> launch(GradientBucket b, MemorySegment grads) {
    MemorySegment slice =
        grads.asSlice((long) b.offset() * Float.BYTES, (long) b.length() * Float.BYTES);
    MemorySegment buffer = inPlace ? slice : bucketBuffers[b.index()];
    if (!inPlace) {
      MemorySegment.copy(slice, 0, buffer, 0, slice.byteSize());
    }
    if (firstLaunch == 0) {
      firstLaunch = System.nanoTime();
    }
    if (onDevice) {
      // The bucket's gradients were queued on the compute's stream; the communicator runs on its
      // own stream, so they must be final before it starts.
      model.compute().synchronize();
    }
    CompletionStage<Void> reduced =
        onDevice
            ? comm.allReduceInDeviceMemory(buffer, ReduceOp.SUM)
            : comm.allReduce(buffer, ReduceOp.SUM);
    return reduced
        .toCompletableFuture()
        .whenComplete((ok, error) -> lastDone.accumulateAndGet(System.nanoTime(), Math::max));
  }

  private static void await(CompletableFuture<Void> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof CollectiveException c) {
        throw c;
      }
      throw new CollectiveException(
          ErrorKind.UNAVAILABLE, "peer_failed", "collective failed: " + e.getCause(), e.getCause());
    }
  }

  /** Frees the off-heap bucket buffers; the communicator and the model belong to the caller. */
  @Override
  public void close() {
    arena.close();
  }
}
