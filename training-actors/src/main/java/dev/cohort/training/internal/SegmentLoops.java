package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The element-wise loops of the off-heap computes that BLAS does not cover (bias and ReLU, ReLU's
 * backward, Adam), over native segments, offsets in floats. {@link #best()} is the JDK Vector API
 * version ({@link VectorLoops}) where the {@code jdk.incubator.vector} module is in the boot layer
 * ({@code --add-modules jdk.incubator.vector}), otherwise these scalar loops. Stateless.
 */
class SegmentLoops {
  static final SegmentLoops SCALAR = new SegmentLoops();

  /** The Vector API loops where their module is present, else the scalar ones. */
  static SegmentLoops best() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
        ? VectorLoops.create()
        : SCALAR;
  }

  String name() {
    return "scalar";
  }

  void addBias(
      MemorySegment c,
      long cOffset,
      int rows,
      int cols,
      MemorySegment bias,
      long biasOffset,
      boolean relu) {
    for (int r = 0; r < rows; r++) {
      long row = cOffset + (long) r * cols;
      for (int j = 0; j < cols; j++) {
        float z = c.getAtIndex(JAVA_FLOAT, row + j) + bias.getAtIndex(JAVA_FLOAT, biasOffset + j);
        c.setAtIndex(JAVA_FLOAT, row + j, relu ? Math.max(z, 0f) : z);
      }
    }
  }

  void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n) {
    for (long i = 0; i < n; i++) {
      if (activation.getAtIndex(JAVA_FLOAT, activationOffset + i) <= 0f) {
        delta.setAtIndex(JAVA_FLOAT, deltaOffset + i, 0f);
      }
    }
  }

  void adam(
      MemorySegment params,
      MemorySegment grads,
      MemorySegment m,
      MemorySegment v,
      long n,
      float beta1,
      float beta2,
      float eps,
      AdamStep s) {
    for (long i = 0; i < n; i++) {
      float g = grads.getAtIndex(JAVA_FLOAT, i);
      float mi = beta1 * m.getAtIndex(JAVA_FLOAT, i) + (1 - beta1) * g;
      float vi = beta2 * v.getAtIndex(JAVA_FLOAT, i) + (1 - beta2) * g * g;
      m.setAtIndex(JAVA_FLOAT, i, mi);
      v.setAtIndex(JAVA_FLOAT, i, vi);
      float p = params.getAtIndex(JAVA_FLOAT, i);
      params.setAtIndex(
          JAVA_FLOAT, i, p - s.stepSize() * mi / ((float) Math.sqrt(vi) / s.sqrtC2() + eps));
    }
  }
}
