package dev.cohort.training.collective;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Ring allreduce bandwidth with {@code ranks} ranks in this JVM over loopback TCP, printing one
 * line per size in nccl-tests terms (algbw = bytes / time, busbw = algbw · 2(n−1)/n):
 *
 * <pre>bench=ring_allreduce ranks=2 bytes=67108864 time_ms=… algbw_gbps=… busbw_gbps=…</pre>
 *
 * Arguments: {@code ranks} (default 2), sizes in MB (default 1 4 16 64 256). Ranks in one JVM
 * share its CPUs and heap; the bench module's process-per-rank runs are the reference figures.
 */
public final class RingBenchmark {
  private RingBenchmark() {}

  public static void main(String[] args) {
    int ranks = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    List<Long> sizes = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      sizes.add(Long.parseLong(args[i]) << 20);
    }
    if (sizes.isEmpty()) {
      sizes = List.of(1L << 20, 4L << 20, 16L << 20, 64L << 20, 256L << 20);
    }
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    List<Communicator> ring = Communicators.localRing(ranks, settings);
    try (Arena arena = Arena.ofShared()) {
      long max = sizes.stream().mapToLong(Long::longValue).max().orElseThrow();
      List<MemorySegment> buffers = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        MemorySegment b = arena.allocate(max, 64);
        b.fill((byte) 0);
        buffers.add(b);
      }
      for (long bytes : sizes) {
        int iterations = bytes >= (64L << 20) ? 5 : 20;
        run(ring, buffers, bytes, 2);
        long start = System.nanoTime();
        run(ring, buffers, bytes, iterations);
        double seconds = (System.nanoTime() - start) / 1e9 / iterations;
        double algbw = bytes / seconds / 1e9;
        System.out.println(String.format(Locale.ROOT,
            "bench=ring_allreduce ranks=%d bytes=%d time_ms=%.2f algbw_gbps=%.3f busbw_gbps=%.3f",
            ranks, bytes, seconds * 1e3, algbw, algbw * 2.0 * (ranks - 1) / ranks));
      }
    } finally {
      ring.forEach(Communicator::close);
    }
  }

  private static void run(List<Communicator> ring, List<MemorySegment> buffers, long bytes, int iterations) {
    for (int i = 0; i < iterations; i++) {
      List<CompletableFuture<Void>> ops = new ArrayList<>();
      for (int r = 0; r < ring.size(); r++) {
        ops.add(ring.get(r).allReduce(buffers.get(r).asSlice(0, bytes), ReduceOp.SUM).toCompletableFuture());
      }
      ops.forEach(CompletableFuture::join);
    }
  }
}
