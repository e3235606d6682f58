package dev.cohort.training.internal;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SegmentLoops} with the JDK Vector API ({@code jdk.incubator.vector}): the same arithmetic
 * in the same order per element, {@code SPECIES_PREFERRED} lanes at a time and a scalar tail. Only
 * loaded where the module is in the boot layer ({@link SegmentLoops#best()}). Stateless.
 */
final class VectorLoops extends SegmentLoops {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorLoops() {}

  static SegmentLoops create() {
    return new VectorLoops();
  }

  @Override
  String name() {
    return "vector";
  }

  @Override
  void addBias(
      MemorySegment c,
      long cOffset,
      int rows,
      int cols,
      MemorySegment bias,
      long biasOffset,
      boolean relu) {
    int bound = S.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      long row = (cOffset + (long) r * cols) * Float.BYTES;
      int j = 0;
      for (; j < bound; j += S.length()) {
        long at = row + (long) j * Float.BYTES;
        FloatVector z =
            FloatVector.fromMemorySegment(S, c, at, ORDER)
                .add(FloatVector.fromMemorySegment(S, bias, (biasOffset + j) * Float.BYTES, ORDER));
        (relu ? z.max(0f) : z).intoMemorySegment(c, at, ORDER);
      }
      if (j < cols) {
        SCALAR.addBias(c, cOffset + (long) r * cols + j, 1, cols - j, bias, biasOffset + j, relu);
      }
    }
  }

  @Override
  void reluBackward(
      MemorySegment delta,
      long deltaOffset,
      MemorySegment activation,
      long activationOffset,
      long n) {
    long bound = n - n % S.length();
    long i = 0;
    for (; i < bound; i += S.length()) {
      FloatVector a =
          FloatVector.fromMemorySegment(S, activation, (activationOffset + i) * Float.BYTES, ORDER);
      long at = (deltaOffset + i) * Float.BYTES;
      FloatVector d = FloatVector.fromMemorySegment(S, delta, at, ORDER);
      d.blend(0f, a.compare(VectorOperators.LE, 0f)).intoMemorySegment(delta, at, ORDER);
    }
    if (i < n) {
      SCALAR.reluBackward(delta, deltaOffset + i, activation, activationOffset + i, n - i);
    }
  }

  @Override
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
    long bound = n - n % S.length();
    float stepSize = s.stepSize();
    float sqrtC2 = s.sqrtC2();
    long i = 0;
    for (; i < bound; i += S.length()) {
      long at = i * Float.BYTES;
      FloatVector g = FloatVector.fromMemorySegment(S, grads, at, ORDER);
      FloatVector mi =
          FloatVector.fromMemorySegment(S, m, at, ORDER).mul(beta1).add(g.mul(1 - beta1));
      FloatVector vi =
          FloatVector.fromMemorySegment(S, v, at, ORDER).mul(beta2).add(g.mul(1 - beta2).mul(g));
      mi.intoMemorySegment(m, at, ORDER);
      vi.intoMemorySegment(v, at, ORDER);
      FloatVector p = FloatVector.fromMemorySegment(S, params, at, ORDER);
      p.sub(mi.mul(stepSize).div(vi.sqrt().div(sqrtC2).add(eps)))
          .intoMemorySegment(params, at, ORDER);
    }
    if (i < n) {
      SCALAR.adam(
          params.asSlice(i * Float.BYTES),
          grads.asSlice(i * Float.BYTES),
          m.asSlice(i * Float.BYTES),
          v.asSlice(i * Float.BYTES),
          n - i,
          beta1,
          beta2,
          eps,
          s);
    }
  }
}
