package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API loops give the same bits as the scalar loops (same operations in the same order
 * per element, no fused multiply-add), for sizes that are not multiples of the vector length.
 */
class SegmentLoopsTest {

  private static MemorySegment random(Arena arena, SplittableRandom r, int n) {
    MemorySegment s = arena.allocate((long) n * Float.BYTES, 64);
    for (int i = 0; i < n; i++) {
      s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
    }
    return s;
  }

  private static MemorySegment copy(Arena arena, MemorySegment s) {
    return arena.allocate(s.byteSize(), 64).copyFrom(s);
  }

  private static float[] floats(MemorySegment s) {
    return s.toArray(ValueLayout.JAVA_FLOAT);
  }

  @Test
  void vectorAndScalarLoopsGiveTheSameBits() {
    SegmentLoops vector = VectorLoops.create();
    assertEquals("vector", vector.name());
    SplittableRandom r = new SplittableRandom(1);
    try (Arena arena = Arena.ofConfined()) {
      for (int n : new int[] {1, 7, 15, 16, 17, 1000, 4099}) {
        int rows = 3;
        int cols = n;
        MemorySegment c = random(arena, r, rows * cols);
        MemorySegment bias = random(arena, r, cols + 1);
        MemorySegment c2 = copy(arena, c);
        SegmentLoops.SCALAR.addBias(c, 0, rows, cols, bias, 1, true);
        vector.addBias(c2, 0, rows, cols, bias, 1, true);
        assertArrayEquals(floats(c), floats(c2), "addBias n=" + n);

        MemorySegment d = random(arena, r, n + 2);
        MemorySegment d2 = copy(arena, d);
        MemorySegment act = random(arena, r, n + 2);
        SegmentLoops.SCALAR.reluBackward(d, 1, act, 2, n);
        vector.reluBackward(d2, 1, act, 2, n);
        assertArrayEquals(floats(d), floats(d2), "reluBackward n=" + n);

        MemorySegment p = random(arena, r, n);
        MemorySegment g = random(arena, r, n);
        MemorySegment m = random(arena, r, n);
        MemorySegment v = arena.allocate((long) n * Float.BYTES, 64);
        MemorySegment p2 = copy(arena, p);
        MemorySegment m2 = copy(arena, m);
        MemorySegment v2 = copy(arena, v);
        AdamStep step = AdamStep.of(0.01f, 0.9f, 0.999f, 3);
        SegmentLoops.SCALAR.adam(p, g, m, v, n, 0.9f, 0.999f, 1e-8f, step);
        vector.adam(p2, g, m2, v2, n, 0.9f, 0.999f, 1e-8f, step);
        assertArrayEquals(floats(p), floats(p2), "adam params n=" + n);
        assertArrayEquals(floats(m), floats(m2), "adam m n=" + n);
        assertArrayEquals(floats(v), floats(v2), "adam v n=" + n);
      }
    }
  }
}
