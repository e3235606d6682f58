package dev.cohort.training.internal;

import dev.cohort.observability.Tracing;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.internal.TrainingCoordinator.Assignment;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;

/**
 * The spans one worker records in one generation, children of the generation's span (whose context
 * the {@link Assignment} carries): {@code training rendezvous} (forming the communicator), {@code
 * training checkpoint write} and {@code training checkpoint read} (rank 0), and {@code training
 * allreduce} for each allreduce call of a sampled step, through {@link #communicator}.
 *
 * <p>Sampling: a generation is one trace, recorded or not by the sampler ratio; within a recorded
 * one, allreduce calls are spans only in steps whose global number is a multiple of {@code
 * cohort.training.tracing.allreduce-every-steps}, because a job makes thousands of them. With
 * tracing off, or an assignment without context, every span is the no-op span and the communicator
 * is returned as it is. Used from the worker's training thread; spans of asynchronous work (a
 * checkpoint write, a collective) end on the thread that completes it.
 */
final class GenerationSpans {
  private static final GenerationSpans OFF = new GenerationSpans(null, null, null, 0);

  private final Tracing tracing;
  private final Context parent;
  private final Assignment assignment;
  private final int allreduceEvery;
  private TracedCommunicator traced;

  private GenerationSpans(
      Tracing tracing, Context parent, Assignment assignment, int allreduceEvery) {
    this.tracing = tracing;
    this.parent = parent;
    this.assignment = assignment;
    this.allreduceEvery = allreduceEvery;
  }

  /** The spans of {@code a}'s generation on this worker. */
  static GenerationSpans of(Tracing tracing, Assignment a, int allreduceEverySteps) {
    if (!tracing.enabled() || a.trace() == null) {
      return OFF;
    }
    return new GenerationSpans(tracing, tracing.contextOf(a.trace()), a, allreduceEverySteps);
  }

  /** The span of forming this rank's communicator of the generation. */
  Span rendezvous() {
    if (tracing == null) {
      return Span.getInvalid();
    }
    return start("training rendezvous")
        .setAttribute("training.rank", assignment.rendezvous().rank())
        .setAttribute("training.ranks", assignment.rendezvous().peers().size())
        .setAttribute("training.backend", assignment.backend().id());
  }

  /** The span of writing a checkpoint at {@code step}, from its encoding until it is durable. */
  Span checkpointWrite(long step) {
    return tracing == null
        ? Span.getInvalid()
        : start("training checkpoint write").setAttribute("training.step", step);
  }

  /** The span of reading the checkpoint at {@code step} that this generation resumes from. */
  Span checkpointRead(long step) {
    return tracing == null
        ? Span.getInvalid()
        : start("training checkpoint read").setAttribute("training.step", step);
  }

  /**
   * {@code comm}, with its allreduce calls recorded as spans in sampled steps (see {@link
   * #beginStep}); {@code comm} itself when nothing would be recorded.
   */
  Communicator communicator(Communicator comm) {
    if (tracing == null || allreduceEvery <= 0) {
      return comm;
    }
    traced = new TracedCommunicator(comm, tracing.tracer(), parent, assignment);
    return traced;
  }

  /** Step {@code globalStep} (1-based) starts: its allreduce calls are spans if it is sampled. */
  void beginStep(long globalStep) {
    if (traced != null) {
      traced.beginStep(globalStep, globalStep % allreduceEvery == 0);
    }
  }

  /** Ends {@code span}, as an error when {@code error} is not null. */
  static void end(Span span, Throwable error) {
    if (error != null) {
      span.recordException(error);
      span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
    }
    span.end();
  }

  private Span start(String name) {
    return tracing
        .tracer()
        .spanBuilder(name)
        .setParent(parent)
        .setAttribute("training.job", assignment.jobId())
        .setAttribute("training.generation", assignment.generation())
        .startSpan();
  }
}
