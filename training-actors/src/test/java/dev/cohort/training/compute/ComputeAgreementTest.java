package dev.cohort.training.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.JavaCompute;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every compute agrees with the {@code java} reference, within float tolerance, on each operation
 * (matrix multiply in all four transpose combinations, bias + ReLU, ReLU's backward, column sums,
 * softmax cross-entropy, SGD with and without momentum, Adam) and on whole training steps of an MLP
 * (forward, backward, optimizer), for random shapes including odd sizes. A compute that cannot run
 * here (cuBLAS without a GPU, OpenBLAS without the library) skips with the probe's reason.
 */
class ComputeAgreementTest {
  private static final TrainingSettings SETTINGS = TrainingSettings.create(ConfigFactory.load());

  static Stream<ComputeKind> computes() {
    return Stream.of(ComputeKind.OPENBLAS, ComputeKind.CUBLAS);
  }

  private static Compute open(ComputeKind kind, int threads) {
    ComputeProbe.Result probe =
        kind == ComputeKind.CUBLAS
            ? ComputeProbe.cublas(SETTINGS)
            : ComputeProbe.openblas(SETTINGS);
    Assumptions.assumeTrue(probe.usable(), () -> kind.id() + " cannot run here: " + probe.reason());
    if (kind == ComputeKind.CUBLAS) {
      try {
        return Computes.create(new ComputeChoice(kind, "test"), threads, 0, SETTINGS);
      } catch (RuntimeException e) {
        Assumptions.abort("cublas loads but no GPU is usable here: " + e.getMessage());
      }
    }
    return Computes.create(new ComputeChoice(kind, "test"), threads, -1, SETTINGS);
  }

  private static float[] random(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }

  private static MemorySegment put(Compute c, float[] values) {
    MemorySegment s = c.allocate(values.length);
    c.write(values, 0, s, 0, values.length);
    return s;
  }

  private static float[] get(Compute c, MemorySegment s, int n) {
    float[] out = new float[n];
    c.read(s, 0, out, 0, n);
    return out;
  }

  /** |a - b| <= tol · (1 + |a|) element by element, with the first difference in the message. */
  private static void close(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]);
      assertTrue(
          err <= tol * (1 + Math.abs(expected[i])),
          what + ": element " + i + " expected " + expected[i] + " got " + actual[i]);
    }
  }

  @ParameterizedTest
  @MethodSource("computes")
  void matrixMultiplyAgreesInEveryTransposeWithOddShapes(ComputeKind kind) {
    JavaCompute ref = new JavaCompute(1);
    try (Compute c = open(kind, 2)) {
      SplittableRandom r = new SplittableRandom(11);
      int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 31, 130}, {5, 129, 67}};
      for (int[] s : shapes) {
        int m = s[0], n = s[1], k = s[2];
        for (boolean ta : new boolean[] {false, true}) {
          for (boolean tb : new boolean[] {false, true}) {
            int lda = ta ? m : k;
            int ldb = tb ? k : n;
            // one float of padding in front tests the offsets
            float[] a = random(r, 1 + m * k);
            float[] b = random(r, 1 + k * n);
            float[] cInit = random(r, 1 + m * n);
            float beta = tb ? 0.5f : 0f;
            MemorySegment ra = put(ref, a), rb = put(ref, b), rc = put(ref, cInit);
            ref.gemm(ta, tb, m, n, k, 0.75f, ra, 1, lda, rb, 1, ldb, beta, rc, 1, n);
            MemorySegment ca = put(c, a), cb = put(c, b), cc = put(c, cInit);
            c.gemm(ta, tb, m, n, k, 0.75f, ca, 1, lda, cb, 1, ldb, beta, cc, 1, n);
            String what = kind.id() + " gemm " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb;
            close(get(ref, rc, 1 + m * n), get(c, cc, 1 + m * n), 1e-4 * Math.sqrt(k), what);
            for (MemorySegment x : List.of(ca, cb, cc)) {
              c.free(x);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("computes")
  void elementWiseOpsAgree(ComputeKind kind) {
    JavaCompute ref = new JavaCompute(1);
    try (Compute c = open(kind, 1)) {
      SplittableRandom r = new SplittableRandom(5);
      for (int[] shape : new int[][] {{1, 1}, {3, 7}, {5, 17}, {33, 130}}) {
        int rows = shape[0], cols = shape[1], n = rows * cols;
        float[] x = random(r, n);
        float[] bias = random(r, cols + 2);
        for (boolean relu : new boolean[] {false, true}) {
          MemorySegment rx = put(ref, x), cx = put(c, x);
          ref.addBias(rx, 0, rows, cols, put(ref, bias), 2, relu);
          c.addBias(cx, 0, rows, cols, put(c, bias), 2, relu);
          close(get(ref, rx, n), get(c, cx, n), 1e-6, kind.id() + " addBias relu=" + relu);
        }
        float[] delta = random(r, n);
        MemorySegment rd = put(ref, delta), cd = put(c, delta);
        ref.reluBackward(rd, 0, put(ref, x), 0, n);
        c.reluBackward(cd, 0, put(c, x), 0, n);
        close(get(ref, rd, n), get(c, cd, n), 0, kind.id() + " reluBackward");

        MemorySegment rs = ref.allocate(cols + 1), cs = c.allocate(cols + 1);
        ref.columnSums(put(ref, x), 0, rows, cols, rs, 1);
        c.columnSums(put(c, x), 0, rows, cols, cs, 1);
        close(get(ref, rs, cols + 1), get(c, cs, cols + 1), 1e-5 * rows, kind.id() + " columnSums");

        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
          labels[i] = r.nextInt(cols);
        }
        MemorySegment rg = ref.allocate(n), cg = c.allocate(n);
        double lr = ref.softmaxCrossEntropy(put(ref, x), 0, rows, cols, labels, 0.5f, rg, 0);
        double lc = c.softmaxCrossEntropy(put(c, x), 0, rows, cols, labels, 0.5f, cg, 0);
        assertEquals(lr, lc, 1e-9 * rows, kind.id() + " loss");
        close(get(ref, rg, n), get(c, cg, n), 1e-7, kind.id() + " dLogits");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("computes")
  void optimizerStepsAgree(ComputeKind kind) {
    JavaCompute ref = new JavaCompute(1);
    try (Compute c = open(kind, 1)) {
      SplittableRandom r = new SplittableRandom(3);
      for (int n : new int[] {1, 7, 1000, 4099}) {
        List<Optimizer> refs = new ArrayList<>();
        List<Optimizer> others = new ArrayList<>();
        for (int o = 0; o < 3; o++) {
          refs.add(optimizer(o, n, ref));
          others.add(optimizer(o, n, c));
        }
        float[] p0 = random(r, n);
        for (int o = 0; o < 3; o++) {
          MemorySegment rp = put(ref, p0), cp = put(c, p0);
          for (int step = 0; step < 3; step++) {
            float[] g = random(r, n);
            refs.get(o).step(rp, put(ref, g));
            others.get(o).step(cp, put(c, g));
          }
          String what = kind.id() + " optimizer " + o + " n=" + n;
          close(get(ref, rp, n), get(c, cp, n), 1e-5, what);
          MemorySegment[] rs = refs.get(o).state();
          MemorySegment[] cs = others.get(o).state();
          assertEquals(rs.length, cs.length, what);
          for (int s = 0; s < rs.length; s++) {
            close(get(ref, rs[s], n), get(c, cs[s], n), 1e-5, what + " state " + s);
          }
        }
      }
    }
  }

  private static Optimizer optimizer(int which, int n, Compute c) {
    return switch (which) {
      case 0 -> Optimizer.sgd(0.1f, 0f, n, c);
      case 1 -> Optimizer.sgd(0.1f, 0.9f, n, c);
      default -> Optimizer.adam(0.01f, n, c);
    };
  }

  @ParameterizedTest
  @MethodSource("computes")
  void trainingStepsOfAnMlpAgree(ComputeKind kind) {
    SplittableRandom r = new SplittableRandom(9);
    for (MlpSpec spec : List.of(MlpSpec.of(13, 31, 7, 5), MlpSpec.of(64, 129, 3))) {
      int batch = 11;
      JavaCompute ref = new JavaCompute(1);
      try (Compute c = open(kind, 2);
          Mlp a = Mlp.create(spec, 4, ref);
          Mlp b = Mlp.create(spec, 4, c)) {
        Optimizer oa = Optimizer.adam(0.01f, spec.parameterCount(), ref);
        Optimizer ob = Optimizer.adam(0.01f, spec.parameterCount(), c);
        for (int step = 0; step < 4; step++) {
          float[] x = random(r, batch * spec.inputs());
          int[] labels = new int[batch];
          for (int i = 0; i < batch; i++) {
            labels[i] = r.nextInt(spec.classes());
          }
          List<Integer> layersA = new ArrayList<>();
          List<Integer> layersB = new ArrayList<>();
          double la = a.forwardBackward(x, labels, batch, 1f / batch, layersA::add);
          double lb = b.forwardBackward(x, labels, batch, 1f / batch, layersB::add);
          String what = kind.id() + " " + spec.layers() + " step " + step;
          assertEquals(la, lb, 1e-4 * batch, what + " loss");
          assertEquals(layersA, layersB, what + " layer order");
          close(a.copyGradients(), b.copyGradients(), 1e-4, what + " gradients");
          oa.step(a.parameters(), a.gradients());
          ob.step(b.parameters(), b.gradients());
          close(a.copyParameters(), b.copyParameters(), 1e-4, what + " parameters");
        }
      }
    }
  }
}
