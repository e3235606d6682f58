package dev.cohort.training;

import dev.cohort.training.compute.Compute;
import dev.cohort.training.internal.JavaCompute;
import java.lang.foreign.MemorySegment;

/**
 * Updates parameters from gradients, in place, element by element, on the model's {@link Compute}:
 * the same parameters, gradients and state give the same bits on every rank.
 *
 * <p>Not thread-safe; one per model replica. State (momentum, Adam moments, step count) lives in
 * the compute's memory and is part of a checkpoint: {@link #state()} exposes it for that.
 */
public sealed interface Optimizer permits Optimizer.Sgd, Optimizer.Adam {

  /** One update of {@code params} (buffers of {@link #compute()}) from {@code grads}. */
  void step(MemorySegment params, MemorySegment grads);

  /** The compute whose buffers the optimizer updates and holds its state in. */
  Compute compute();

  /** The optimizer's state buffers, for checkpoints (empty for plain SGD). */
  MemorySegment[] state();

  /** Steps taken. */
  long steps();

  /**
   * Overwrites the step count (the state buffers are written in place through {@link #state()}):
   * used when a replica takes over another replica's optimizer state.
   */
  void restoreSteps(long steps);

  /** Plain SGD on the single-threaded {@code java} compute. */
  static Optimizer sgd(float lr) {
    return new Sgd(lr, 0f, 0, JavaCompute.SHARED);
  }

  /** SGD with momentum on the single-threaded {@code java} compute. */
  static Optimizer sgd(float lr, float momentum, int parameters) {
    return new Sgd(lr, momentum, parameters, JavaCompute.SHARED);
  }

  static Optimizer sgd(float lr, float momentum, int parameters, Compute compute) {
    return new Sgd(lr, momentum, parameters, compute);
  }

  /** Adam with PyTorch's defaults on the single-threaded {@code java} compute. */
  static Optimizer adam(float lr, int parameters) {
    return adam(lr, parameters, JavaCompute.SHARED);
  }

  /** Adam with PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8. */
  static Optimizer adam(float lr, int parameters, Compute compute) {
    return new Adam(lr, 0.9f, 0.999f, 1e-8f, parameters, compute);
  }

  /** Number of values a state buffer holds. */
  static int length(MemorySegment state) {
    return (int) (state.byteSize() / Float.BYTES);
  }

  /** SGD, optionally with momentum (PyTorch's formulation: v = μv + g; p -= lr·v). */
  final class Sgd implements Optimizer {
    private final float lr;
    private final float momentum;
    private final int parameters;
    private final Compute compute;
    private final MemorySegment velocity;
    private long steps;

    Sgd(float lr, float momentum, int parameters, Compute compute) {
      if (!(lr > 0)) {
        throw TrainingError.INVALID_OPTIMIZER.exception("lr must be positive, not " + lr);
      }
      this.lr = lr;
      this.momentum = momentum;
      this.parameters = parameters;
      this.compute = compute;
      this.velocity = momentum == 0f ? null : compute.allocate(parameters);
    }

    @Override
    public void step(MemorySegment params, MemorySegment grads) {
      long n = params.byteSize() / Float.BYTES;
      if (velocity != null && n != parameters) {
        throw new IllegalArgumentException(n + " parameters, the optimizer has " + parameters);
      }
      compute.sgd(params, grads, velocity, n, lr, momentum);
      steps++;
    }

    @Override
    public Compute compute() {
      return compute;
    }

    @Override
    public MemorySegment[] state() {
      return velocity == null ? new MemorySegment[0] : new MemorySegment[] {velocity};
    }

    @Override
    public long steps() {
      return steps;
    }

    @Override
    public void restoreSteps(long steps) {
      this.steps = steps;
    }
  }

  /** Adam (Kingma and Ba) with bias correction. */
  final class Adam implements Optimizer {
    private final float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final int parameters;
    private final Compute compute;
    private final MemorySegment m;
    private final MemorySegment v;
    private long steps;

    Adam(float lr, float beta1, float beta2, float eps, int parameters, Compute compute) {
      if (!(lr > 0)) {
        throw TrainingError.INVALID_OPTIMIZER.exception("lr must be positive, not " + lr);
      }
      this.lr = lr;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.eps = eps;
      this.parameters = parameters;
      this.compute = compute;
      this.m = compute.allocate(parameters);
      this.v = compute.allocate(parameters);
    }

    @Override
    public void step(MemorySegment params, MemorySegment grads) {
      long n = params.byteSize() / Float.BYTES;
      if (n != parameters) {
        throw new IllegalArgumentException(n + " parameters, the optimizer has " + parameters);
      }
      steps++;
      compute.adam(params, grads, m, v, n, lr, beta1, beta2, eps, steps);
    }

    @Override
    public Compute compute() {
      return compute;
    }

    @Override
    public MemorySegment[] state() {
      return new MemorySegment[] {m, v};
    }

    @Override
    public long steps() {
      return steps;
    }

    @Override
    public void restoreSteps(long steps) {
      this.steps = steps;
    }
  }
}
