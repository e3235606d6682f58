package dev.cohort.bench;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.RingBenchmark;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The CPU ring allreduce with ranks as separate JVMs on loopback, and in the same run the physical
 * ceilings it works under: memory copy bandwidth and loopback TCP throughput.
 *
 * <pre>
 * bench=memcpy bytes=67108864 gbps=…
 * bench=loopback_tcp streams=1 socket_buffer_bytes=… gbps=…
 * bench=loopback_tcp streams=2 socket_buffer_bytes=… gbps=…   (total of both)
 * bench=ring_allreduce mode=processes ranks=2 bytes=… time_ms=… algbw_gbps=… busbw_gbps=… cpu_ms=…
 * </pre>
 *
 * <p>algbw and busbw as nccl-tests defines them (busbw = algbw · 2(n−1)/n); busbw of a 2-rank ring
 * is bounded by one loopback stream per direction, i.e. by {@code streams=2} divided by 2. The TCP
 * streams use the ring's configured socket buffer size ({@code
 * cohort.training.collective.socket-buffer-bytes}), so they are the ceiling of the same sockets.
 */
final class AllreduceWorkload implements Bench.Workload {
  private static final long COPY_BYTES = 64L << 20;
  private static final long STREAM_BYTES = 1L << 30;
  private static final int IO_BYTES = 1 << 20;

  @Override
  public String description() {
    return "ring allreduce, ranks as processes on loopback, plus memcpy and loopback TCP ceilings;"
        + " ranks=2,4 sizes=1,4,16,64,256 (MB)";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    List<Integer> ranks =
        Arrays.stream(params.stringValue("ranks", "2,4").split(","))
            .map(String::trim)
            .map(Integer::parseInt)
            .toList();
    List<Long> sizes =
        Arrays.stream(params.stringValue("sizes", "1,4,16,64,256").split(","))
            .map(String::trim)
            .map(s -> Long.parseLong(s) << 20)
            .toList();
    int socketBuffer = TrainingSettings.create(ConfigFactory.load()).socketBufferBytes();
    System.out.printf(Locale.ROOT, "bench=memcpy bytes=%d gbps=%.2f%n", COPY_BYTES, memcpy());
    for (int streams = 1; streams <= 2; streams++) {
      System.out.printf(
          Locale.ROOT,
          "bench=loopback_tcp streams=%d socket_buffer_bytes=%d gbps=%.2f%n",
          streams,
          socketBuffer,
          loopback(streams, socketBuffer));
    }
    for (int n : ranks) {
      RingBenchmark.processes(n, sizes, r -> System.out.println(r.line()));
    }
  }

  /** MemorySegment.copy between two off-heap 64 MB buffers; bytes copied per second, best of 10. */
  private static double memcpy() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment src = arena.allocate(COPY_BYTES, 64);
      MemorySegment dst = arena.allocate(COPY_BYTES, 64);
      src.fill((byte) 1);
      dst.fill((byte) 0);
      double best = 0;
      for (int i = 0; i < 12; i++) {
        long start = System.nanoTime();
        MemorySegment.copy(src, 0, dst, 0, COPY_BYTES);
        double gbps = COPY_BYTES / ((System.nanoTime() - start) / 1e9) / 1e9;
        if (i >= 2) {
          best = Math.max(best, gbps);
        }
      }
      return best;
    }
  }

  /**
   * {@code streams} TCP connections over 127.0.0.1, each with a writer and a reader thread moving
   * {@value #STREAM_BYTES} bytes in 1 MB off-heap writes and reads; total bytes per second. A
   * first, untimed round warms the JIT and the sockets up.
   */
  private static double loopback(int streams, int socketBuffer) throws IOException {
    List<SocketChannel> channels = new ArrayList<>();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      if (socketBuffer > 0) {
        server.setOption(StandardSocketOptions.SO_RCVBUF, socketBuffer);
      }
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      for (int i = 0; i < streams; i++) {
        SocketChannel client = SocketChannel.open();
        configure(client, socketBuffer);
        client.connect(server.getLocalAddress());
        SocketChannel accepted = server.accept();
        configure(accepted, socketBuffer);
        channels.add(client);
        channels.add(accepted);
      }
      transfer(channels, streams, STREAM_BYTES / 8);
      long start = System.nanoTime();
      transfer(channels, streams, STREAM_BYTES);
      return streams * STREAM_BYTES / ((System.nanoTime() - start) / 1e9) / 1e9;
    } finally {
      for (SocketChannel c : channels) {
        c.close();
      }
    }
  }

  private static void configure(SocketChannel channel, int socketBuffer) throws IOException {
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    if (socketBuffer > 0) {
      channel.setOption(StandardSocketOptions.SO_SNDBUF, socketBuffer);
      channel.setOption(StandardSocketOptions.SO_RCVBUF, socketBuffer);
    }
  }

  private static void transfer(List<SocketChannel> channels, int streams, long bytes)
      throws IOException {
    List<CompletableFuture<Void>> ends = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      SocketChannel writer = channels.get(2 * i);
      SocketChannel reader = channels.get(2 * i + 1);
      ends.add(
          run(
              () -> {
                try (Arena arena = Arena.ofConfined()) {
                  ByteBuffer b = arena.allocate(IO_BYTES, 64).asByteBuffer();
                  for (long sent = 0; sent < bytes; sent += IO_BYTES) {
                    b.clear();
                    while (b.hasRemaining()) {
                      writer.write(b);
                    }
                  }
                }
              }));
      ends.add(
          run(
              () -> {
                try (Arena arena = Arena.ofConfined()) {
                  ByteBuffer b = arena.allocate(IO_BYTES, 64).asByteBuffer();
                  long received = 0;
                  while (received < bytes) {
                    b.clear();
                    int n = reader.read(b);
                    if (n < 0) {
                      throw new IOException("loopback stream closed early");
                    }
                    received += n;
                  }
                }
              }));
    }
    try {
      CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).join();
    } catch (CompletionException e) {
      throw new IOException("loopback transfer failed", e.getCause());
    }
  }

  private interface Io {
    void run() throws IOException;
  }

  /** On a platform thread of its own: the streams block in the kernel, not on a shared pool. */
  private static CompletableFuture<Void> run(Io io) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("bench-loopback")
        .start(
            () -> {
              try {
                io.run();
                done.complete(null);
              } catch (Throwable e) {
                done.completeExceptionally(e);
              }
            });
    return done;
  }
}
