package dev.cohort.bench;

import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;

/**
 * The Kafka listener's I/O layer alone: {@code connections} clients, each on its own thread with
 * one request outstanding (as a Kafka client's connection mostly has), send ApiVersions requests,
 * which the listener answers without touching any entity. It measures what the choice of blocking
 * channels on virtual threads costs per request (frame read, decode, encode, write, thread
 * hand-offs), to compare with what produce and fetch requests cost in the stream-log behind it.
 * Client and listener share the JVM, so {@code cpu_us_per_req} counts both sides.
 */
final class KafkaListenerWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "Kafka listener request round trips (ApiVersions), embedded node; connections=1,16,64 seconds=5";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int seconds = params.intValue("seconds", 5);
    String[] counts = params.stringValue("connections", "1,16,64").split(",");
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    Path data = Files.createTempDirectory("cohort-bench-kafka-listener");
    CohortConfig config =
        CohortConfig.builder().dataDir(data).httpPort(0).kafkaPort(port).remotePort(0).build();
    try (CohortNode node = Cohort.start(config)) {
      int listening = node.kafkaAddress().orElseThrow().getPort();
      measure(listening, 4, 2, false);
      for (String c : counts) {
        measure(listening, Integer.parseInt(c.strip()), seconds, true);
      }
    }
  }

  /** One measurement; the first, a warm-up, is not printed. */
  private static void measure(int port, int connections, int seconds, boolean print)
      throws Exception {
    Latencies latencies = new Latencies();
    AtomicLong requests = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      threads.add(Thread.ofVirtual().start(() -> client(port, end, latencies, requests)));
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    double cpuUs = (os.getProcessCpuTime() - cpu0) / 1e3;
    if (!print) {
      return;
    }
    System.out.printf(
        "bench=kafka_listener_apiversions connections=%d requests=%d requests_per_s=%.0f"
            + " p50_ms=%.3f p99_ms=%.3f cpu_us_per_req=%.1f%n",
        connections,
        requests.get(),
        requests.get() / elapsed,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99),
        cpuUs / Math.max(1, requests.get()));
  }

  private static void client(int port, long end, Latencies latencies, AtomicLong requests) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setTcpNoDelay(true);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      DataInputStream in = new DataInputStream(socket.getInputStream());
      ApiVersionsRequestData body =
          new ApiVersionsRequestData().setClientSoftwareName("bench").setClientSoftwareVersion("1");
      int correlation = 0;
      while (System.nanoTime() < end) {
        RequestHeader header =
            new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "bench", ++correlation);
        ByteBuffer frame =
            RequestUtils.serialize(header.data(), header.headerVersion(), body, (short) 3);
        long sent = System.nanoTime();
        out.writeInt(frame.remaining());
        out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        out.flush();
        byte[] answer = new byte[in.readInt()];
        in.readFully(answer);
        latencies.record(System.nanoTime() - sent);
        requests.incrementAndGet();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
