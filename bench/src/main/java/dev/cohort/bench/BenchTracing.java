package dev.cohort.bench;

import com.sun.net.httpserver.HttpServer;
import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code tracing=off|<ratio>} parameter of a workload: off (the default exporter {@code none}),
 * or tracing on at sampler ratio {@code <ratio>} with the Zipkin exporter sending to a sink in this
 * JVM. The sink is an HTTP server that reads each POSTed batch whole and answers 202, as Zipkin's
 * collector does, and throws it away: the node pays everything an exporter costs (span recording,
 * batching, JSON encoding, the HTTP POST) and the machine pays no span storage, which a real Zipkin
 * on the same two cores would add to the figure. The posts and bytes it read are printed, so that a
 * run shows how much it exported.
 */
final class BenchTracing implements AutoCloseable {
  private final String label;
  private final HttpServer sink;
  private final AtomicLong posts = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  private BenchTracing(String label, HttpServer sink) {
    this.label = label;
    this.sink = sink;
  }

  /** Reads {@code tracing} (default off); on, starts the sink on an ephemeral loopback port. */
  static BenchTracing from(Bench.Params params) throws IOException {
    String value = params.stringValue("tracing", "off");
    if (value.equals("off")) {
      return new BenchTracing(value, null);
    }
    double ratio = Double.parseDouble(value);
    if (ratio < 0 || ratio > 1) {
      throw new IllegalArgumentException(
          "tracing is off or a sampler ratio in [0, 1], not " + value);
    }
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    BenchTracing tracing = new BenchTracing(value, server);
    server.createContext(
        "/api/v2/spans",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            tracing.bytes.addAndGet(in.transferTo(OutputStream.nullOutputStream()));
          }
          tracing.posts.incrementAndGet();
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    server.setExecutor(Executors.newSingleThreadExecutor());
    server.start();
    return tracing;
  }

  /**
   * Starts a fresh one-node Cohort with this tracing setting: data in a new temporary directory
   * named after {@code name}, every listener on an ephemeral port.
   */
  CohortNode startNode(String name) throws IOException {
    CohortConfig.Builder builder =
        CohortConfig.builder()
            .dataDir(Files.createTempDirectory("cohort-bench-" + name))
            .httpPort(0)
            .etcdPort(0)
            .kafkaPort(0)
            .remotePort(0);
    if (sink != null) {
      builder
          .override("cohort.observability.tracing.exporter", "zipkin")
          .override(
              "cohort.observability.tracing.endpoint",
              "http://127.0.0.1:" + sink.getAddress().getPort() + "/api/v2/spans")
          .override("cohort.observability.tracing.sampler-ratio", Double.parseDouble(label));
    }
    return Cohort.start(builder.build());
  }

  /** {@code tracing=<setting>} plus, when on, what the sink has read so far. */
  String fields() {
    if (sink == null) {
      return "tracing=off";
    }
    return String.format(
        "tracing=%s exported_posts=%d exported_kb=%d", label, posts.get(), bytes.get() >> 10);
  }

  @Override
  public void close() {
    if (sink != null) {
      sink.stop(0);
    }
  }
}
