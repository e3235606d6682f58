package dev.cohort.bench;

import dev.cohort.log.FetchResult;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.StreamLog;
import dev.cohort.platform.CohortNode;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mirrors Kafka's perf tools on the embedded default: ProducerPerformance ({@code records} × {@code
 * bytes}, {@code acks}, {@code linger.ms}=5, unkeyed), ConsumerPerformance (read them all back from
 * offset 0 of every partition) and EndToEndLatency (one record at a time: send, wait for the
 * acknowledgement, fetch it).
 *
 * <p>{@code via=http} measures produce as an HTTP client does it instead (and nothing else): closed
 * loop clients, each POSTing {@code batch} records per request on its own keep-alive connection.
 * Every request is a gateway span and a produce span whose traceparent each record gets, which is
 * the path the tracing overhead figures use ({@code tracing=off|<ratio>}, see {@link
 * BenchTracing}); the embedded {@code Producer} starts no span.
 */
final class LogWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "Kafka-style produce/consume/e2e, embedded; records=1000000 bytes=100 partitions=1"
        + " acks=all e2e=10000; via=http: produce over HTTP only, clients=16 batch=100 seconds=5"
        + " warmup=10; tracing=off (or a sampler ratio: spans exported to a discarding Zipkin sink)";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int records = params.intValue("records", 1_000_000);
    int bytes = params.intValue("bytes", 100);
    int partitions = params.intValue("partitions", 1);
    int e2e = params.intValue("e2e", 10_000);
    String acks = params.values().getOrDefault("acks", "all");
    try (BenchTracing tracing = BenchTracing.from(params);
        CohortNode node = tracing.startNode("log")) {
      StreamLog log = node.log();
      String topic = "perf-" + partitions + "-" + bytes;
      log.createTopic(topic, partitions, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      if (params.stringValue("via", "embedded").equals("http")) {
        produceOverHttp(node.httpAddress().getPort(), topic, params, bytes, partitions, tracing);
        return;
      }
      produce(log, topic, records, bytes, partitions, acks);
      consume(log, topic, records, bytes, partitions);
      consumeOverHttp(node.httpAddress().getPort(), topic, records, bytes, partitions);
      if (e2e > 0) {
        endToEnd(log, "e2e-" + bytes, e2e, bytes);
      }
    }
  }

  private static void produce(
      StreamLog log, String topic, int records, int bytes, int partitions, String acks)
      throws Exception {
    byte[] value = new byte[bytes];
    new Random(42).nextBytes(value);
    Semaphore inFlight = new Semaphore(32 * 1024 * 1024 / Math.max(1, bytes));
    AtomicLong failed = new AtomicLong();
    Latencies latencies = new Latencies();
    try (Producer producer =
        log.producer(log.producerSettings().with(Map.of("acks", acks, "linger.ms", "5")))) {
      long start = System.nanoTime();
      for (int i = 0; i < records; i++) {
        inFlight.acquire();
        long sent = System.nanoTime();
        producer
            .send(ProducerRecord.of(topic, (byte[]) null, value))
            .whenComplete(
                (metadata, error) -> {
                  inFlight.release();
                  if (error != null) {
                    failed.incrementAndGet();
                  } else if ((metadata.offset() & 63) == 0) {
                    latencies.record(System.nanoTime() - sent);
                  }
                });
      }
      producer.flush().toCompletableFuture().get(5, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "bench=log_produce records=%d bytes=%d partitions=%d acks=%s linger_ms=5 records_per_s=%.0f mb_per_s=%.2f p50_ms=%.1f p99_ms=%.1f errors=%d%n",
          records,
          bytes,
          partitions,
          acks,
          records / seconds,
          records * (double) bytes / seconds / (1 << 20),
          latencies.percentileMillis(50),
          latencies.percentileMillis(99),
          failed.get());
    }
  }

  /**
   * Closed-loop HTTP producers: {@code clients} threads, each POSTing {@code batch} records of
   * {@code bytes} (text) per request and waiting for the answer (acks all); records counted after
   * {@code warmup} seconds for {@code seconds}.
   */
  private static void produceOverHttp(
      int port, String topic, Bench.Params params, int bytes, int partitions, BenchTracing tracing)
      throws Exception {
    int clients = params.intValue("clients", 16);
    int batch = params.intValue("batch", 100);
    int seconds = params.intValue("seconds", 5);
    int warmup = params.intValue("warmup", 10);
    StringBuilder body = new StringBuilder("{\"records\":[");
    String record = "{\"value\":\"" + "v".repeat(bytes) + "\"}";
    for (int i = 0; i < batch; i++) {
      body.append(i == 0 ? "" : ",").append(record);
    }
    String json = body.append("]}").toString();
    String path = "/v1/topics/" + topic + "/records";
    PlainHttp http = new PlainHttp("127.0.0.1", port);
    Latencies latencies = new Latencies();
    AtomicLong errors = new AtomicLong();
    long recordFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long end = recordFrom + TimeUnit.SECONDS.toNanos(seconds);
    ProcessCpu cpu = ProcessCpu.openingAt(recordFrom);
    ClosedLoop.run(
        clients, c -> () -> http.send("POST", path, json), recordFrom, end, latencies, errors);
    double cpuPerRecord = cpu.microsPerOp((long) latencies.count() * batch);
    double requestsPerSecond = latencies.count() / (double) seconds;
    System.out.printf(
        "bench=log_produce_http clients=%d batch=%d bytes=%d partitions=%d acks=all"
            + " records_per_s=%.0f requests_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d"
            + " cpu_us_per_record=%.1f %s%n",
        clients,
        batch,
        bytes,
        partitions,
        requestsPerSecond * batch,
        requestsPerSecond,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99),
        errors.get(),
        cpuPerRecord,
        tracing.fields());
  }

  private static void consume(StreamLog log, String topic, int records, int bytes, int partitions)
      throws Exception {
    var settings =
        log.consumerSettings()
            .with(
                Map.of(
                    "max.poll.records",
                    "10000",
                    "fetch.max.bytes",
                    "8388608",
                    "fetch.max.wait.ms",
                    "0"));
    long start = System.nanoTime();
    long read = 0;
    for (int p = 0; p < partitions; p++) {
      long offset = 0;
      while (true) {
        FetchResult result =
            log.fetch(topic, p, offset, settings).toCompletableFuture().get(60, TimeUnit.SECONDS);
        read += result.records().size();
        offset = result.nextOffset();
        if (offset >= result.highWatermark()) {
          break;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "bench=log_consume records=%d bytes=%d partitions=%d records_per_s=%.0f mb_per_s=%.2f%n",
        read, bytes, partitions, read / seconds, read * (double) bytes / seconds / (1 << 20));
    if (read != records) {
      System.out.printf("bench=log_consume_mismatch expected=%d read=%d%n", records, read);
    }
  }

  /**
   * The same read-back as {@link #consume} but from another process's point of view, as Kafka's
   * ConsumerPerformance reads over TCP: fetches of up to 10,000 records over HTTP/1.1 on one
   * keep-alive connection, each reply a JSON document the node encodes (values base64, since the
   * bench's values are random bytes). The client reads only the reply's next offset.
   */
  private static void consumeOverHttp(
      int port, String topic, int records, int bytes, int partitions) throws Exception {
    PlainHttp http = new PlainHttp("127.0.0.1", port);
    long start = System.nanoTime();
    long read = 0;
    long replyBytes = 0;
    for (int p = 0; p < partitions; p++) {
      long offset = 0;
      while (true) {
        String reply =
            http.send(
                "GET",
                "/v1/topics/"
                    + topic
                    + "/partitions/"
                    + p
                    + "/records?offset="
                    + offset
                    + "&maxRecords=10000&maxWaitMs=0&maxBytes=8388608",
                null);
        replyBytes += reply.length();
        long next = numberAfter(reply, "\"nextOffset\":");
        read += next - offset;
        offset = next;
        if (offset >= numberAfter(reply, "\"highWatermark\":")) {
          break;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "bench=log_consume_http records=%d bytes=%d partitions=%d records_per_s=%.0f mb_per_s=%.2f"
            + " json_mb_per_s=%.2f%n",
        read,
        bytes,
        partitions,
        read / seconds,
        read * (double) bytes / seconds / (1 << 20),
        replyBytes / seconds / (1 << 20));
  }

  private static long numberAfter(String json, String field) {
    int at = json.lastIndexOf(field) + field.length();
    int end = at;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Long.parseLong(json.substring(at, end));
  }

  private static void endToEnd(StreamLog log, String topic, int count, int bytes) throws Exception {
    log.createTopic(topic, 1, Map.of()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    byte[] value = new byte[bytes];
    var settings = log.consumerSettings().with(Map.of("fetch.max.wait.ms", "0"));
    Latencies latencies = new Latencies();
    try (Producer producer =
        log.producer(
            log.producerSettings()
                .with(Map.of("acks", "1", "linger.ms", "0", "enable.idempotence", "false")))) {
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        long offset =
            producer
                .send(ProducerRecord.of(topic, (byte[]) null, value))
                .toCompletableFuture()
                .get()
                .offset();
        FetchResult fetched = log.fetch(topic, 0, offset, settings).toCompletableFuture().get();
        if (fetched.records().isEmpty()) {
          throw new IllegalStateException(
              "record at offset " + offset + " not readable after its ack");
        }
        latencies.record(System.nanoTime() - start);
      }
    }
    System.out.printf(
        "bench=log_e2e records=%d bytes=%d p50_ms=%.3f p99_ms=%.3f%n",
        count, bytes, latencies.percentileMillis(50), latencies.percentileMillis(99));
  }
}
