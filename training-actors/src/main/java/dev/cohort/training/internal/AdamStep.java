package dev.cohort.training.internal;

/**
 * Adam's bias-corrected step constants for one step, computed the same way by every compute so that
 * they all round alike: {@code stepSize = lr / (1 - β1^t)}, {@code sqrtC2 = √(1 - β2^t)}.
 */
record AdamStep(float stepSize, float sqrtC2) {
  static AdamStep of(float lr, float beta1, float beta2, long step) {
    float c1 = (float) (1 - Math.pow(beta1, step));
    float c2 = (float) (1 - Math.pow(beta2, step));
    return new AdamStep(lr / c1, (float) Math.sqrt(c2));
  }
}
