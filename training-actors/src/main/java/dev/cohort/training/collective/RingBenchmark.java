package dev.cohort.training.collective;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ring allreduce bandwidth over loopback TCP, one line per size in nccl-tests terms (algbw = bytes
 * / time, busbw = algbw · 2(n−1)/n):
 *
 * <pre>bench=ring_allreduce mode=processes ranks=2 bytes=67108864 time_ms=… algbw_gbps=… busbw_gbps=…</pre>
 *
 * <p>Usage: {@code RingBenchmark [--processes] [ranks] [sizeMB ...]} (defaults: 2 ranks, 1 4 16 64
 * 256 MB). With {@code --processes} every rank is its own JVM (started by this one, which only
 * relays the rendezvous), as separate workers would be; without it the ranks are threads of this
 * JVM. Each size runs 2 warm-up iterations, then a barrier, then 5 (≥ 64 MB) or 20 timed
 * iterations; rank 0's time is reported.
 */
public final class RingBenchmark {
  private static final String CHILD = "--rank-process";

  private RingBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    if (!rest.isEmpty() && rest.getFirst().equals(CHILD)) {
      rest.removeFirst();
      child(sizes(rest));
      return;
    }
    boolean processes = rest.remove("--processes");
    int ranks = rest.isEmpty() ? 2 : Integer.parseInt(rest.removeFirst());
    List<Long> sizes = sizes(rest);
    if (processes) {
      parent(ranks, rest);
    } else {
      inProcess(ranks, sizes);
    }
  }

  private static List<Long> sizes(List<String> mb) {
    if (mb.isEmpty()) {
      return List.of(1L << 20, 4L << 20, 16L << 20, 64L << 20, 256L << 20);
    }
    return mb.stream().map(s -> Long.parseLong(s) << 20).toList();
  }

  private static void inProcess(int ranks, List<Long> sizes) {
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
        int iterations = iterations(bytes);
        runAll(ring, buffers, bytes, 2);
        long start = System.nanoTime();
        runAll(ring, buffers, bytes, iterations);
        print("threads", ranks, bytes, (System.nanoTime() - start) / 1e9 / iterations);
      }
    } finally {
      ring.forEach(Communicator::close);
    }
  }

  private static int iterations(long bytes) {
    return bytes >= (64L << 20) ? 5 : 20;
  }

  private static void print(String mode, int ranks, long bytes, double seconds) {
    double algbw = bytes / seconds / 1e9;
    System.out.println(String.format(Locale.ROOT,
        "bench=ring_allreduce mode=%s ranks=%d bytes=%d time_ms=%.2f algbw_gbps=%.3f busbw_gbps=%.3f",
        mode, ranks, bytes, seconds * 1e3, algbw, algbw * 2.0 * (ranks - 1) / ranks));
  }

  private static void runAll(List<Communicator> ring, List<MemorySegment> buffers, long bytes, int iterations) {
    for (int i = 0; i < iterations; i++) {
      List<CompletableFuture<Void>> ops = new ArrayList<>();
      for (int r = 0; r < ring.size(); r++) {
        ops.add(ring.get(r).allReduce(buffers.get(r).asSlice(0, bytes), ReduceOp.SUM).toCompletableFuture());
      }
      ops.forEach(CompletableFuture::join);
    }
  }

  /** Starts one JVM per rank, relays addresses (the coordinator's job), prints rank 0's lines. */
  private static void parent(int ranks, List<String> sizeArgs) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> children = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    List<String> peers = new ArrayList<>();
    try {
      for (int r = 0; r < ranks; r++) {
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx256m", "-XX:+UseParallelGC",
            "-cp", System.getProperty("java.class.path"), RingBenchmark.class.getName(), CHILD));
        cmd.addAll(sizeArgs);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        outputs.add(out);
        String line = out.readLine();
        while (line != null && !line.startsWith("ADDRESS ")) {
          line = out.readLine(); // JVM start-up output, e.g. a flight recording's banner
        }
        if (line == null) {
          throw new IOException("rank " + r + " did not report its address: " + line);
        }
        peers.add(line.substring("ADDRESS ".length()));
      }
      long token = ThreadLocalRandom.current().nextLong();
      for (int r = 0; r < ranks; r++) {
        PrintWriter in = new PrintWriter(children.get(r).getOutputStream(), true);
        in.println(token + " " + r + " " + String.join(",", peers));
      }
      String line;
      while ((line = outputs.getFirst().readLine()) != null) {
        System.out.println(line);
      }
      for (Process p : children) {
        p.waitFor();
      }
    } finally {
      children.forEach(Process::destroy);
    }
  }

  private static void child(List<Long> sizes) throws IOException {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    RingEndpoint endpoint = RingEndpoint.bind(settings);
    System.out.println("ADDRESS " + endpoint.address());
    System.out.flush();
    String[] line = new BufferedReader(new InputStreamReader(System.in)).readLine().split(" ");
    RingRendezvous rendezvous =
        new RingRendezvous(Long.parseLong(line[0]), Integer.parseInt(line[1]), Arrays.asList(line[2].split(",")));
    try (Communicator comm = endpoint.join(rendezvous); Arena arena = Arena.ofShared()) {
      long max = sizes.stream().mapToLong(Long::longValue).max().orElseThrow();
      MemorySegment buffer = arena.allocate(max, 64);
      buffer.fill((byte) 0);
      for (long bytes : sizes) {
        int iterations = iterations(bytes);
        MemorySegment slice = buffer.asSlice(0, bytes);
        for (int i = 0; i < 2; i++) {
          comm.allReduce(slice, ReduceOp.SUM).toCompletableFuture().join();
        }
        comm.barrier().toCompletableFuture().join();
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
          comm.allReduce(slice, ReduceOp.SUM).toCompletableFuture().join();
        }
        double seconds = (System.nanoTime() - start) / 1e9 / iterations;
        if (comm.rank() == 0) {
          print("processes", comm.size(), bytes, seconds);
          System.out.flush();
        }
      }
    }
  }
}
