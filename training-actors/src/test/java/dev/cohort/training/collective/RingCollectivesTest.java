package dev.cohort.training.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every ring collective on random inputs against a sequential reference, for 1 to 5 ranks and
 * element counts that do not divide by the number of ranks nor by the segment size. Invariants:
 * {@code SameBitsOnEveryRank}, {@code MatchesSequentialReference}, {@code SameInputsSameBits}.
 */
class RingCollectivesTest {
  static final int[] COUNTS = {1, 3, 7, 1001, 20_011};
  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  static final List<List<Communicator>> rings = new ArrayList<>();
  static Arena arena;

  @BeforeAll
  static void formRings() {
    // 4 KiB segments: the larger counts cross many segment boundaries, the ragged last one too.
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load()).withChunkBytes(4096);
    for (int n = 1; n <= 5; n++) {
      rings.add(Communicators.localRing(n, settings));
    }
    arena = Arena.ofShared();
  }

  @AfterAll
  static void close() {
    rings.forEach(r -> r.forEach(Communicator::close));
    arena.close();
  }

  static float[][] inputs(int n, int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[][] in = new float[n][count];
    for (float[] row : in) {
      for (int j = 0; j < count; j++) {
        row[j] = (float) (random.nextDouble() * 200 - 100);
      }
    }
    return in;
  }

  static MemorySegment segment(float[] values) {
    MemorySegment s =
        arena.allocate((long) values.length * 4 + 4, 16).asSlice(0, values.length * 4L);
    MemorySegment.copy(values, 0, s, F, 0, values.length);
    return s;
  }

  static float[] floats(MemorySegment s) {
    return s.toArray(F);
  }

  /** Runs {@code op} on every rank at once and returns each rank's result buffer. */
  static List<float[]> onAll(List<Communicator> ring, BiFunction<Communicator, Integer, Run> op) {
    List<Run> runs = new ArrayList<>();
    for (int r = 0; r < ring.size(); r++) {
      runs.add(op.apply(ring.get(r), r));
    }
    List<float[]> out = new ArrayList<>();
    for (Run run : runs) {
      run.stage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
      out.add(floats(run.result()));
    }
    return out;
  }

  record Run(java.util.concurrent.CompletionStage<Void> stage, MemorySegment result) {}

  static void assertSameBits(List<float[]> results, String what) {
    for (int r = 1; r < results.size(); r++) {
      assertArrayEquals(
          results.get(0), results.get(r), what + ": rank " + r + " differs from rank 0");
    }
  }

  static double reduce(float[][] in, int j, ReduceOp op) {
    double acc =
        op == ReduceOp.MAX
            ? Double.NEGATIVE_INFINITY
            : op == ReduceOp.MIN ? Double.POSITIVE_INFINITY : 0;
    for (float[] row : in) {
      acc =
          switch (op) {
            case SUM, AVG -> acc + row[j];
            case MAX -> Math.max(acc, row[j]);
            case MIN -> Math.min(acc, row[j]);
          };
    }
    return op == ReduceOp.AVG ? acc / in.length : acc;
  }

  static void assertMatchesReference(
      float[][] in, float[] got, long offset, ReduceOp op, String what) {
    for (int j = 0; j < got.length; j++) {
      double expected = reduce(in, (int) (j + offset), op);
      if (op == ReduceOp.MAX || op == ReduceOp.MIN) {
        assertEquals((float) expected, got[j], what + " element " + j);
      } else {
        // float32 sums of up to 5 values of magnitude <= 100, in ring order: a few ulps of 500.
        assertEquals(expected, got[j], 1e-4, what + " element " + j);
      }
    }
  }

  @Test
  void allReduceInPlaceMatchesReferenceOnEveryRankCount() {
    for (List<Communicator> ring : rings) {
      int n = ring.size();
      for (int count : COUNTS) {
        for (ReduceOp op : ReduceOp.values()) {
          float[][] in = inputs(n, count, 31L * count + n + op.ordinal());
          String what = "allreduce " + op + " n=" + n + " count=" + count;
          List<float[]> first =
              onAll(
                  ring,
                  (c, r) -> {
                    MemorySegment b = segment(in[r]);
                    return new Run(c.allReduce(b, op), b);
                  });
          assertSameBits(first, what);
          assertMatchesReference(in, first.get(0), 0, op, what);
          List<float[]> again =
              onAll(
                  ring,
                  (c, r) -> {
                    MemorySegment b = segment(in[r]);
                    return new Run(c.allReduce(b, op), b);
                  });
          assertArrayEquals(first.get(0), again.get(0), what + ": a second run gave other bits");
        }
      }
    }
  }

  @Test
  void largeBuffersWithTheDefaultSegmentSizeMatchReference() {
    // Default 1 MiB segments: several per chunk, each arriving in several reads that are reduced
    // as they arrive (a read may end inside a float), which the 4 KiB rings above never need.
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    int count = 1_500_007;
    for (int n = 2; n <= 3; n++) {
      List<Communicator> ring = Communicators.localRing(n, settings);
      try {
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
          float[][] in = inputs(n, count, 11L * n + op.ordinal());
          String what = "large allreduce " + op + " n=" + n;
          List<float[]> out =
              onAll(
                  ring,
                  (c, r) -> {
                    MemorySegment b = segment(in[r]);
                    return new Run(c.allReduce(b, op), b);
                  });
          assertSameBits(out, what);
          assertMatchesReference(in, out.get(0), 0, op, what);
        }
      } finally {
        ring.forEach(Communicator::close);
      }
    }
  }

  @Test
  void allReduceOutOfPlaceLeavesSendUntouched() {
    for (List<Communicator> ring : rings) {
      int n = ring.size();
      float[][] in = inputs(n, 1001, 7 + n);
      List<MemorySegment> sends = new ArrayList<>();
      List<float[]> out =
          onAll(
              ring,
              (c, r) -> {
                MemorySegment send = segment(in[r]);
                sends.add(send);
                MemorySegment recv = arena.allocate(send.byteSize(), 16);
                return new Run(c.allReduce(send, recv, ReduceOp.SUM), recv);
              });
      assertSameBits(out, "out-of-place n=" + n);
      assertMatchesReference(in, out.get(0), 0, ReduceOp.SUM, "out-of-place n=" + n);
      for (int r = 0; r < n; r++) {
        assertArrayEquals(in[r], floats(sends.get(r)), "send of rank " + r + " changed");
      }
    }
  }

  @Test
  void reduceScatterGivesEachRankItsShardOfTheReduction() {
    for (List<Communicator> ring : rings) {
      int n = ring.size();
      for (int count : COUNTS) {
        for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX}) {
          float[][] in = inputs(n, count, 5L * count + n);
          List<float[]> out =
              onAll(
                  ring,
                  (c, r) -> {
                    Communicator.Shard shard = Communicator.shard(count, n, r);
                    MemorySegment recv =
                        arena
                            .allocate(Math.max(4, shard.count() * 4), 16)
                            .asSlice(0, shard.count() * 4);
                    return new Run(c.reduceScatter(segment(in[r]), recv, op), recv);
                  });
          long total = 0;
          for (int r = 0; r < n; r++) {
            Communicator.Shard shard = Communicator.shard(count, n, r);
            total += out.get(r).length;
            assertMatchesReference(
                in, out.get(r), shard.offset(), op, "reducescatter " + op + " n=" + n + " r=" + r);
          }
          assertEquals(count, total, "shards cover the buffer exactly");
        }
      }
    }
  }

  @Test
  void allGatherConcatenatesShardsInRankOrder() {
    for (List<Communicator> ring : rings) {
      int n = ring.size();
      for (int count : COUNTS) {
        float[] whole = inputs(1, count, count + 100L * n)[0];
        List<float[]> out =
            onAll(
                ring,
                (c, r) -> {
                  Communicator.Shard shard = Communicator.shard(count, n, r);
                  float[] mine =
                      java.util.Arrays.copyOfRange(
                          whole, (int) shard.offset(), (int) (shard.offset() + shard.count()));
                  MemorySegment recv = arena.allocate(count * 4L, 16);
                  return new Run(c.allGather(segment(mine), recv), recv);
                });
        for (float[] got : out) {
          assertArrayEquals(whole, got, "allgather n=" + n + " count=" + count);
        }
      }
    }
  }

  @Test
  void broadcastCopiesTheRootsBufferFromEveryRoot() {
    for (List<Communicator> ring : rings) {
      int n = ring.size();
      for (int root = 0; root < n; root++) {
        float[][] in = inputs(n, 20_011, root + 17L * n);
        int theRoot = root;
        List<float[]> out =
            onAll(
                ring,
                (c, r) -> {
                  MemorySegment b = segment(in[r]);
                  return new Run(c.broadcast(b, theRoot), b);
                });
        for (float[] got : out) {
          assertArrayEquals(in[root], got, "broadcast n=" + n + " root=" + root);
        }
      }
    }
  }

  @Test
  void barrierCompletesOnlyWhenEveryRankEntered() {
    List<Communicator> ring = rings.get(3);
    List<CompletableFuture<Void>> early = new ArrayList<>();
    for (int r = 0; r < ring.size() - 1; r++) {
      early.add(ring.get(r).barrier().toCompletableFuture());
    }
    // The last rank has not entered: no other rank may leave. A short bounded look, not a wait.
    CompletableFuture<Void> any =
        CompletableFuture.anyOf(early.toArray(CompletableFuture[]::new)).thenApply(x -> null);
    assertTrue(
        any.completeOnTimeout(null, 200, TimeUnit.MILLISECONDS).join() == null
            && early.stream().noneMatch(CompletableFuture::isDone),
        "a rank left the barrier before the last rank entered");
    ring.getLast().barrier().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    early.forEach(f -> f.orTimeout(30, TimeUnit.SECONDS).join());
  }
}
