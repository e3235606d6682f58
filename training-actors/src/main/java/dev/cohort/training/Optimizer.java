package dev.cohort.training;

/**
 * Updates parameters from gradients, in place, element by element in index order: the same
 * parameters, gradients and state give the same bits on every rank.
 *
 * <p>Not thread-safe; one per model replica. State (momentum, Adam moments, step count) is part of
 * a checkpoint: {@link #state()} exposes it for that.
 */
public sealed interface Optimizer permits Optimizer.Sgd, Optimizer.Adam {

  void step(float[] params, float[] grads);

  /** The optimizer's state arrays, for checkpoints (empty for plain SGD). */
  float[][] state();

  /** Steps taken. */
  long steps();

  /**
   * Overwrites the step count (the state arrays are written in place through {@link #state()}):
   * used when a replica takes over another replica's optimizer state.
   */
  void restoreSteps(long steps);

  static Optimizer sgd(float lr) {
    return new Sgd(lr, 0f, 0);
  }

  static Optimizer sgd(float lr, float momentum, int parameters) {
    return new Sgd(lr, momentum, parameters);
  }

  /** Adam with PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8. */
  static Optimizer adam(float lr, int parameters) {
    return new Adam(lr, 0.9f, 0.999f, 1e-8f, parameters);
  }

  /** SGD, optionally with momentum (PyTorch's formulation: v = μv + g; p -= lr·v). */
  final class Sgd implements Optimizer {
    private final float lr;
    private final float momentum;
    private final float[] velocity;
    private long steps;

    Sgd(float lr, float momentum, int parameters) {
      if (!(lr > 0)) {
        throw TrainingError.INVALID_OPTIMIZER.exception("lr must be positive, not " + lr);
      }
      this.lr = lr;
      this.momentum = momentum;
      this.velocity = momentum == 0f ? new float[0] : new float[parameters];
    }

    @Override
    public void step(float[] params, float[] grads) {
      if (momentum == 0f) {
        for (int i = 0; i < params.length; i++) {
          params[i] -= lr * grads[i];
        }
      } else {
        for (int i = 0; i < params.length; i++) {
          velocity[i] = momentum * velocity[i] + grads[i];
          params[i] -= lr * velocity[i];
        }
      }
      steps++;
    }

    @Override
    public float[][] state() {
      return momentum == 0f ? new float[0][] : new float[][] {velocity};
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
    private final float[] m;
    private final float[] v;
    private long steps;

    Adam(float lr, float beta1, float beta2, float eps, int parameters) {
      if (!(lr > 0)) {
        throw TrainingError.INVALID_OPTIMIZER.exception("lr must be positive, not " + lr);
      }
      this.lr = lr;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.eps = eps;
      this.m = new float[parameters];
      this.v = new float[parameters];
    }

    @Override
    public void step(float[] params, float[] grads) {
      steps++;
      float c1 = (float) (1 - Math.pow(beta1, steps));
      float c2 = (float) (1 - Math.pow(beta2, steps));
      float stepSize = lr / c1;
      float sqrtC2 = (float) Math.sqrt(c2);
      for (int i = 0; i < params.length; i++) {
        float g = grads[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        params[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / sqrtC2 + eps);
      }
    }

    @Override
    public float[][] state() {
      return new float[][] {m, v};
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
