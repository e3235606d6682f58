package dev.cohort.training.collective;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Ring allreduce bandwidth over loopback TCP, one line per size in nccl-tests terms (algbw = bytes
 * / time, busbw = algbw · 2(n−1)/n):
 *
 * <pre>
 * bench=ring_allreduce mode=processes ranks=2 bytes=67108864 time_ms=… algbw_gbps=… busbw_gbps=… cpu_ms=…
 * </pre>
 *
 * <p>Usage: {@code RingBenchmark [--processes] [ranks] [sizeMB ...]} (defaults: 2 ranks, 1 4 16 64
 * 256 MB). With {@code --processes} every rank is its own JVM (started by this one, which only
 * relays the rendezvous), as separate workers would be; without it the ranks are threads of this
 * JVM. The bench module's {@code allreduce} workload calls {@link #processes}. System properties
 * {@code -Dcohort.…} of this JVM are passed on to the rank processes.
 *
 * <p>Method: first {@value #JIT_WARMUP_ITERATIONS} allreduces of 4 MB and 3 of up to 64 MB so that
 * the JIT has compiled the transfer and reduction loops (a JVM's one-time cost, not a per-operation
 * one, and its compiler threads' CPU time would otherwise land in the first size); then per size 2
 * warm-up iterations (as the Gloo anchor script does), a barrier, and 5 (≥ 64 MB) or 20 timed
 * iterations. {@code time_ms} is the mean per allreduce of the slowest rank; {@code cpu_ms} is the
 * CPU time per allreduce of all rank processes together (user + system, JIT and GC included), which
 * a loaded machine does not inflate as much as the wall time.
 */
public final class RingBenchmark {
  private static final String CHILD = "--rank-process";
  private static final String RESULT = "RESULT ";
  private static final int JIT_WARMUP_ITERATIONS = 30;

  private RingBenchmark() {}

  /** One size: {@code seconds} per allreduce, {@code cpuMillis} per allreduce over all ranks. */
  public record Result(String mode, int ranks, long bytes, double seconds, double cpuMillis) {
    public double algbwGbps() {
      return bytes / seconds / 1e9;
    }

    public double busbwGbps() {
      return algbwGbps() * 2.0 * (ranks - 1) / ranks;
    }

    /** The result line; {@code cpu_ms} only where it was measured. */
    public String line() {
      String line =
          String.format(
              Locale.ROOT,
              "bench=ring_allreduce mode=%s ranks=%d bytes=%d time_ms=%.2f algbw_gbps=%.3f busbw_gbps=%.3f",
              mode,
              ranks,
              bytes,
              seconds * 1e3,
              algbwGbps(),
              busbwGbps());
      return Double.isNaN(cpuMillis)
          ? line
          : line + String.format(Locale.ROOT, " cpu_ms=%.1f", cpuMillis);
    }
  }

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
    Consumer<Result> print = r -> System.out.println(r.line());
    if (processes) {
      processes(ranks, sizes, print);
    } else {
      threads(ranks, sizes, print);
    }
  }

  private static List<Long> sizes(List<String> mb) {
    if (mb.isEmpty()) {
      return List.of(1L << 20, 4L << 20, 16L << 20, 64L << 20, 256L << 20);
    }
    return mb.stream().map(s -> Long.parseLong(s) << 20).toList();
  }

  private static int iterations(long bytes) {
    return bytes >= (64L << 20) ? 5 : 20;
  }

  /** Ranks as threads of this JVM, over loopback; {@code cpuMillis} is not measured (NaN). */
  public static List<Result> threads(int ranks, List<Long> sizes, Consumer<Result> each) {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    List<Communicator> ring = Communicators.localRing(ranks, settings);
    List<Result> results = new ArrayList<>();
    try (Arena arena = Arena.ofShared()) {
      long max = Math.max(4L << 20, sizes.stream().mapToLong(Long::longValue).max().orElseThrow());
      List<MemorySegment> buffers = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        MemorySegment b = arena.allocate(max, 64);
        b.fill((byte) 0);
        buffers.add(b);
      }
      runAll(ring, buffers, 4L << 20, JIT_WARMUP_ITERATIONS);
      runAll(ring, buffers, Math.min(max, 64L << 20), 3);
      for (long bytes : sizes) {
        int iterations = iterations(bytes);
        runAll(ring, buffers, bytes, 2);
        long start = System.nanoTime();
        runAll(ring, buffers, bytes, iterations);
        Result r =
            new Result(
                "threads",
                ranks,
                bytes,
                (System.nanoTime() - start) / 1e9 / iterations,
                Double.NaN);
        results.add(r);
        each.accept(r);
      }
    } finally {
      ring.forEach(Communicator::close);
    }
    return results;
  }

  private static void runAll(
      List<Communicator> ring, List<MemorySegment> buffers, long bytes, int iterations) {
    for (int i = 0; i < iterations; i++) {
      List<CompletableFuture<Void>> ops = new ArrayList<>();
      for (int r = 0; r < ring.size(); r++) {
        ops.add(
            ring.get(r)
                .allReduce(buffers.get(r).asSlice(0, bytes), ReduceOp.SUM)
                .toCompletableFuture());
      }
      ops.forEach(CompletableFuture::join);
    }
  }

  /**
   * Starts one JVM per rank with this JVM's class path, relays the addresses (the coordinator's
   * job), and combines the ranks' measurements per size.
   */
  public static List<Result> processes(int ranks, List<Long> sizes, Consumer<Result> each)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> children = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    List<String> peers = new ArrayList<>();
    List<Result> results = new ArrayList<>();
    try {
      for (int r = 0; r < ranks; r++) {
        List<String> cmd =
            new ArrayList<>(
                List.of(
                    java,
                    "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow",
                    "-Xmx256m",
                    "-XX:+UseParallelGC"));
        // Settings given to this JVM (-Dcohort.training.collective.…) apply to the ranks too.
        System.getProperties().stringPropertyNames().stream()
            .filter(k -> k.startsWith("cohort.") || k.equals("logback.configurationFile"))
            .sorted()
            .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(
            List.of(
                "-cp",
                System.getProperty("java.class.path"),
                RingBenchmark.class.getName(),
                CHILD));
        sizes.forEach(b -> cmd.add(Long.toString(b >> 20)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        outputs.add(out);
        String line = next(out, "ADDRESS ", r);
        peers.add(line.substring("ADDRESS ".length()));
      }
      long token = ThreadLocalRandom.current().nextLong();
      for (int r = 0; r < ranks; r++) {
        PrintWriter in = new PrintWriter(children.get(r).getOutputStream(), true);
        in.println(token + " " + r + " " + String.join(",", peers));
      }
      for (long bytes : sizes) {
        double seconds = 0;
        double cpuMillis = 0;
        for (int r = 0; r < ranks; r++) {
          String[] f = next(outputs.get(r), RESULT, r).split(" ");
          if (Long.parseLong(f[1]) != bytes) {
            throw new IOException("rank " + r + " reported " + f[1] + " bytes, expected " + bytes);
          }
          seconds = Math.max(seconds, Double.parseDouble(f[2]));
          cpuMillis += Double.parseDouble(f[3]);
        }
        Result result = new Result("processes", ranks, bytes, seconds, cpuMillis);
        results.add(result);
        each.accept(result);
      }
      for (Process p : children) {
        p.waitFor();
      }
    } finally {
      children.forEach(Process::destroy);
    }
    return results;
  }

  /** The next line of a rank's output that starts with {@code prefix}; other output is skipped. */
  private static String next(BufferedReader out, String prefix, int rank) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new IOException("rank " + rank + " ended without reporting '" + prefix.trim() + "'");
  }

  /**
   * Small allreduces until the JIT has compiled the hot loops, then a few large ones so that the
   * compilations they trigger (and their CPU time) fall before the first measured size.
   */
  private static void warmUp(Communicator comm, MemorySegment buffer) {
    for (int i = 0; i < JIT_WARMUP_ITERATIONS; i++) {
      comm.allReduce(buffer.asSlice(0, 4L << 20), ReduceOp.SUM).toCompletableFuture().join();
    }
    MemorySegment large = buffer.asSlice(0, Math.min(buffer.byteSize(), 64L << 20));
    for (int i = 0; i < 3; i++) {
      comm.allReduce(large, ReduceOp.SUM).toCompletableFuture().join();
    }
  }

  private static void child(List<Long> sizes) throws IOException {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    RingEndpoint endpoint = RingEndpoint.bind(settings);
    System.out.println("ADDRESS " + endpoint.address());
    System.out.flush();
    String[] line = new BufferedReader(new InputStreamReader(System.in)).readLine().split(" ");
    RingRendezvous rendezvous =
        new RingRendezvous(
            Long.parseLong(line[0]), Integer.parseInt(line[1]), Arrays.asList(line[2].split(",")));
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (Communicator comm = endpoint.join(rendezvous);
        Arena arena = Arena.ofShared()) {
      long max = Math.max(4L << 20, sizes.stream().mapToLong(Long::longValue).max().orElseThrow());
      MemorySegment buffer = arena.allocate(max, 64);
      buffer.fill((byte) 0);
      warmUp(comm, buffer);
      for (long bytes : sizes) {
        int iterations = iterations(bytes);
        MemorySegment slice = buffer.asSlice(0, bytes);
        for (int i = 0; i < 2; i++) {
          comm.allReduce(slice, ReduceOp.SUM).toCompletableFuture().join();
        }
        comm.barrier().toCompletableFuture().join();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
          comm.allReduce(slice, ReduceOp.SUM).toCompletableFuture().join();
        }
        double seconds = (System.nanoTime() - start) / 1e9 / iterations;
        double cpuMillis = (os.getProcessCpuTime() - cpu) / 1e6 / iterations;
        System.out.println(
            String.format(Locale.ROOT, "%s%d %.9f %.3f", RESULT, bytes, seconds, cpuMillis));
        System.out.flush();
      }
    }
  }
}
