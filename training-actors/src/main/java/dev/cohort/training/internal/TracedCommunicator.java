package dev.cohort.training.internal;

import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.ReduceOp;
import dev.cohort.training.internal.TrainingCoordinator.Assignment;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletionStage;

/**
 * A communicator that records each allreduce call of a sampled step as a {@code training allreduce}
 * span (child of the generation's span, from the call until the collective completes, with the
 * step, the bytes, the rank and the backend) and forwards everything else unchanged. The sampled
 * flag is set by the training thread before each step ({@link GenerationSpans#beginStep}), which is
 * also the only thread that issues collectives.
 */
final class TracedCommunicator implements Communicator {
  private final Communicator delegate;
  private final Tracer tracer;
  private final Context parent;
  private final Assignment assignment;
  private long step;
  private boolean sampled;

  TracedCommunicator(Communicator delegate, Tracer tracer, Context parent, Assignment assignment) {
    this.delegate = delegate;
    this.tracer = tracer;
    this.parent = parent;
    this.assignment = assignment;
  }

  void beginStep(long globalStep, boolean sampledStep) {
    this.step = globalStep;
    this.sampled = sampledStep;
  }

  @Override
  public int rank() {
    return delegate.rank();
  }

  @Override
  public int size() {
    return delegate.size();
  }

  @Override
  public Backend backend() {
    return delegate.backend();
  }

  @Override
  public CompletionStage<Void> allReduce(MemorySegment buffer, ReduceOp op) {
    Span span = start(buffer.byteSize(), op, false);
    return end(span, delegate.allReduce(buffer, op));
  }

  @Override
  public CompletionStage<Void> allReduce(MemorySegment send, MemorySegment recv, ReduceOp op) {
    Span span = start(send.byteSize(), op, false);
    return end(span, delegate.allReduce(send, recv, op));
  }

  @Override
  public CompletionStage<Void> reduceScatter(MemorySegment send, MemorySegment recv, ReduceOp op) {
    return delegate.reduceScatter(send, recv, op);
  }

  @Override
  public CompletionStage<Void> allGather(MemorySegment send, MemorySegment recv) {
    return delegate.allGather(send, recv);
  }

  @Override
  public CompletionStage<Void> broadcast(MemorySegment buffer, int root) {
    return delegate.broadcast(buffer, root);
  }

  @Override
  public CompletionStage<Void> barrier() {
    return delegate.barrier();
  }

  @Override
  public boolean reducesDeviceMemory() {
    return delegate.reducesDeviceMemory();
  }

  @Override
  public CompletionStage<Void> allReduceInDeviceMemory(MemorySegment buffer, ReduceOp op) {
    Span span = start(buffer.byteSize(), op, true);
    return end(span, delegate.allReduceInDeviceMemory(buffer, op));
  }

  @Override
  public void abort(String reason) {
    delegate.abort(reason);
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** A span for this call when the step is sampled; null otherwise. */
  private Span start(long bytes, ReduceOp op, boolean deviceMemory) {
    if (!sampled) {
      return null;
    }
    return tracer
        .spanBuilder("training allreduce")
        .setParent(parent)
        .setAttribute("training.job", assignment.jobId())
        .setAttribute("training.generation", assignment.generation())
        .setAttribute("training.step", step)
        .setAttribute("training.rank", delegate.rank())
        .setAttribute("training.backend", delegate.backend().id())
        .setAttribute("training.allreduce.bytes", bytes)
        .setAttribute("training.allreduce.op", op.name())
        .setAttribute("training.allreduce.device_memory", deviceMemory)
        .startSpan();
  }

  private static CompletionStage<Void> end(Span span, CompletionStage<Void> collective) {
    if (span == null) {
      return collective;
    }
    return collective.whenComplete((ok, error) -> GenerationSpans.end(span, error));
  }
}
