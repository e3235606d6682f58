package dev.cohort.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Fills one AP keyspace (replication factor {@code rf}) on a cluster of real node processes ({@code
 * ./cohort run}, one JVM each, on loopback) with {@code keys} keys of 16 bytes and {@code
 * valueBytes}-byte values over HTTP at {@code consistency}, reporting the write rate of every
 * 10-second window (the rate must stay flat as the data grows) and overall; then how long until
 * every replica holds its share, whether sampled keys read back right through every node, the read
 * rate at {@code consistency} for {@code readSeconds}, and each node's heap after a full GC,
 * resident memory and store size per key it holds. With {@code join=N}, N more nodes then join one
 * at a time, and each reports how long from its start until it serves its ranges (it has streamed
 * them), the bytes it fetched, and the keys it holds.
 */
final class ApLoadWorkload implements Bench.Workload {
  private static final String KEYSPACE = "load";
  private static final Pattern AP_KEYS =
      Pattern.compile("cohort_kv_ap_keys\\{keyspace=\"" + KEYSPACE + "\"} ([0-9.eE+]+)");
  private static final Pattern JOIN_BYTES =
      Pattern.compile(
          "cohort_kv_ap_streaming_bytes_total\\{direction=\"in\",stream=\"join\"} ([0-9.eE+]+)");
  private static final Pattern HEAP_USED =
      Pattern.compile("jvm_memory_used_bytes\\{area=\"heap\"} ([0-9.eE+]+)");

  @Override
  public String description() {
    return "AP keyspace load on real node processes over HTTP; nodes=3 rf=3 keys=1000000"
        + " valueBytes=100 clients=48 consistency=one sample=2000 readSeconds=30 fsync=on join=0";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int nodes = params.intValue("nodes", 3);
    int keys = params.intValue("keys", 1_000_000);
    int valueBytes = params.intValue("valueBytes", 100);
    int clients = params.intValue("clients", 48);
    int sample = params.intValue("sample", 2000);
    int rf = params.intValue("rf", 3);
    int readSeconds = params.intValue("readSeconds", 30);
    String consistency = params.values().getOrDefault("consistency", "one");
    String fsync = params.values().getOrDefault("fsync", "on");
    int join = params.intValue("join", 0);
    Path launcher = Path.of(System.getProperty("cohort.root", ".")).resolve("cohort");
    Path root = Files.createTempDirectory("cohort-bench-ap");
    Path config = root.resolve("node.conf");
    // The key-count gauge is refreshed by the sweep; a short interval makes convergence visible.
    // A generous heartbeat pause: on a shared 2-core machine a starting JVM can stall for seconds,
    // and a node downed while it starts would end the run (this measures throughput, not failover).
    // A cluster runs on the shared PostgreSQL journal (COHORT_PG_URL), as conf/cluster-node.conf.
    Files.writeString(
        config,
        Files.readString(launcher.resolveSibling("conf/cluster-node.conf"))
            + "\ncohort.kv.ap.sweep-interval = 5s\ncohort.kv.ap.store.sync = "
            + fsync
            + "\npekko.cluster.failure-detector.acceptable-heartbeat-pause = 10s\n");

    List<Node> cluster = new ArrayList<>();
    try {
      int seedPort = freePort();
      for (int i = 0; i < nodes; i++) {
        cluster.add(
            Node.start(
                launcher,
                config,
                root.resolve("node-" + i),
                freePort(),
                i == 0 ? seedPort : freePort(),
                seedPort));
      }
      PlainHttp setup = new PlainHttp("127.0.0.1", cluster.get(0).httpPort);
      awaitTrue(
          Duration.ofSeconds(180),
          () -> {
            for (Node n : cluster) {
              n.checkAlive();
              if (!ok(new PlainHttp("127.0.0.1", n.httpPort), "GET", "/health/ready", null)) {
                return false;
              }
            }
            return ok(
                    setup,
                    "PUT",
                    "/v1/keyspaces/" + KEYSPACE,
                    "{\"mode\":\"ap\",\"replicationFactor\":" + rf + "}")
                && ok(
                    setup,
                    "PUT",
                    "/v1/kv/" + KEYSPACE + "/keys/ready?consistency=all",
                    "{\"value\":\"1\"}");
          });
      ok(setup, "DELETE", "/v1/kv/" + KEYSPACE + "/keys/ready?consistency=all", null);

      List<PlainHttp> endpoints = new ArrayList<>();
      for (Node n : cluster) {
        endpoints.add(new PlainHttp("127.0.0.1", n.httpPort));
      }
      Latencies latencies = new Latencies();
      AtomicInteger next = new AtomicInteger();
      AtomicLong errors = new AtomicLong();
      long start = System.nanoTime();
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        PlainHttp http = endpoints.get(c % nodes);
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int k = next.getAndIncrement(); k < keys; k = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        try {
                          http.send(
                              "PUT",
                              "/v1/kv/"
                                  + KEYSPACE
                                  + "/keys/"
                                  + key(k)
                                  + "?consistency="
                                  + consistency,
                              "{\"value\":\"" + value(k, valueBytes) + "\"}");
                          latencies.record(System.nanoTime() - t0);
                        } catch (IOException e) {
                          errors.incrementAndGet();
                        }
                      }
                    }));
      }
      Thread progress =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    long previous = 0;
                    try {
                      for (int window = 1; ; window++) {
                        Thread.sleep(10_000);
                        long written = latencies.count();
                        System.out.printf(
                            "bench=ap_load_window nodes=%d rf=%d consistency=%s window=%d"
                                + " keys_written=%d writes_per_s=%.0f%n",
                            nodes, rf, consistency, window, written, (written - previous) / 10.0);
                        previous = written;
                      }
                    } catch (InterruptedException done) {
                      Thread.currentThread().interrupt();
                    }
                  });
      for (Thread t : threads) {
        t.join();
      }
      progress.interrupt();
      double loadSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "bench=ap_load nodes=%d rf=%d keys=%d value_bytes=%d consistency=%s fsync=%s clients=%d"
              + " writes_per_s=%.0f p50_ms=%.3f p99_ms=%.3f seconds=%.1f errors=%d%n",
          nodes,
          rf,
          keys,
          valueBytes,
          consistency,
          fsync,
          clients,
          latencies.count() / loadSeconds,
          latencies.percentileMillis(50),
          latencies.percentileMillis(99),
          loadSeconds,
          errors.get());

      long converge = System.nanoTime();
      long expected = keys - errors.get();
      long copies = expected * Math.min(rf, nodes);
      awaitTrue(
          Duration.ofMinutes(10),
          () -> {
            double held = 0;
            for (Node n : cluster) {
              held += metric(n, AP_KEYS);
            }
            return held >= copies;
          });
      System.out.printf(
          "bench=ap_load_converge nodes=%d rf=%d keys=%d copies=%d seconds=%.1f%n",
          nodes, rf, expected, copies, (System.nanoTime() - converge) / 1e9);
      readRate(endpoints, clients, keys, valueBytes, consistency, readSeconds, nodes, rf);

      for (int i = 0; i < nodes; i++) {
        int matching = 0;
        for (int s = 0; s < sample; s++) {
          int k = ThreadLocalRandom.current().nextInt(keys);
          try {
            String body =
                endpoints
                    .get(i)
                    .send(
                        "GET", "/v1/kv/" + KEYSPACE + "/keys/" + key(k) + "?consistency=one", null);
            if (body.contains("\"value\":\"" + value(k, valueBytes) + "\"")) {
              matching++;
            }
          } catch (IOException missing) {
            // counted as not matching
          }
        }
        System.out.printf(
            "bench=ap_load_reads node=%d consistency=one sampled=%d matching=%d%n",
            i, sample, matching);
      }

      for (int i = 0; i < nodes; i++) {
        Node n = cluster.get(i);
        new ProcessBuilder(jcmd(), Long.toString(n.process.pid()), "GC.run")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start()
            .waitFor(60, TimeUnit.SECONDS);
        double heap = metric(n, HEAP_USED);
        double held = metric(n, AP_KEYS);
        long store = directoryBytes(n.dataDir.resolve("ap"));
        System.out.printf(
            "bench=ap_load_memory nodes=%d node=%d keys_held=%.0f heap_used_mb_after_gc=%.0f"
                + " rss_mb=%.0f store_mb=%.1f store_bytes_per_key=%.0f%n",
            nodes,
            i,
            held,
            heap / (1 << 20),
            n.rssBytes() / (double) (1 << 20),
            store / (double) (1 << 20),
            store / Math.max(1, held));
      }
      for (int j = 0; j < join; j++) {
        joinOne(launcher, config, root, cluster, seedPort);
      }
    } finally {
      for (Node n : cluster) {
        n.stop();
      }
      deleteTree(root);
    }
  }

  /**
   * Starts one more node and reports how long from its start until it lists itself among a key's
   * replicas (it serves reads only once it has streamed its ranges), the entry bytes it fetched,
   * and the keys its store holds once its sweep count is steady.
   */
  private static void joinOne(
      Path launcher, Path config, Path root, List<Node> cluster, int seedPort) throws Exception {
    int remotePort = freePort();
    long start = System.nanoTime();
    Node n =
        Node.start(
            launcher,
            config,
            root.resolve("node-" + cluster.size()),
            freePort(),
            remotePort,
            seedPort);
    cluster.add(n);
    PlainHttp http = new PlainHttp("127.0.0.1", n.httpPort);
    String self = "127.0.0.1:" + remotePort;
    awaitTrue(
        Duration.ofMinutes(30),
        () -> {
          n.checkAlive();
          for (int k = 0; k < 20; k++) {
            try {
              if (http.send("GET", "/v1/kv/" + KEYSPACE + "/endpoints?key=" + key(k), null)
                  .contains(self)) {
                return true;
              }
            } catch (IOException notYet) {
              return false;
            }
          }
          return false;
        });
    double seconds = (System.nanoTime() - start) / 1e9;
    double[] held = {-1};
    awaitTrue(
        Duration.ofMinutes(10),
        () -> {
          double before = held[0];
          Thread.sleep(6_000);
          held[0] = metric(n, AP_KEYS);
          return held[0] > 0 && held[0] == before;
        });
    System.out.printf(
        "bench=ap_load_join nodes=%d seconds_to_serve=%.1f streamed_in_mb=%.1f keys_held=%.0f%n",
        cluster.size(), seconds, metric(n, JOIN_BYTES) / (1 << 20), held[0]);
  }

  /** Random reads of loaded keys at {@code consistency} for {@code seconds}, all clients. */
  private static void readRate(
      List<PlainHttp> endpoints,
      int clients,
      int keys,
      int valueBytes,
      String consistency,
      int seconds,
      int nodes,
      int rf)
      throws InterruptedException {
    Latencies latencies = new Latencies();
    AtomicLong wrong = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      PlainHttp http = endpoints.get(c % endpoints.size());
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (System.nanoTime() < end) {
                      int k = ThreadLocalRandom.current().nextInt(keys);
                      long t0 = System.nanoTime();
                      try {
                        String body =
                            http.send(
                                "GET",
                                "/v1/kv/"
                                    + KEYSPACE
                                    + "/keys/"
                                    + key(k)
                                    + "?consistency="
                                    + consistency,
                                null);
                        latencies.record(System.nanoTime() - t0);
                        if (!body.contains("\"value\":\"" + value(k, valueBytes) + "\"")) {
                          wrong.incrementAndGet();
                        }
                      } catch (IOException e) {
                        wrong.incrementAndGet();
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    System.out.printf(
        "bench=ap_load_read_rate nodes=%d rf=%d consistency=%s clients=%d"
            + " reads_per_s=%.0f p50_ms=%.3f p99_ms=%.3f wrong_or_failed=%d%n",
        nodes,
        rf,
        consistency,
        clients,
        latencies.count() / (double) seconds,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99),
        wrong.get());
  }

  private static String key(int k) {
    return String.format("k%015d", k);
  }

  private static String value(int k, int bytes) {
    String prefix = Integer.toString(k);
    return prefix + "v".repeat(Math.max(0, bytes - prefix.length()));
  }

  private static boolean ok(PlainHttp http, String method, String path, String body) {
    try {
      http.send(method, path, body);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  private static double metric(Node node, Pattern pattern) {
    try {
      Matcher m =
          pattern.matcher(new PlainHttp("127.0.0.1", node.httpPort).send("GET", "/metrics", null));
      return m.find() ? Double.parseDouble(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static String jcmd() {
    return Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static long directoryBytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  private static void awaitTrue(Duration deadline, Condition condition) throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("condition not met within " + deadline);
      }
      Thread.sleep(200);
    }
  }

  /** One {@code ./cohort run} process. */
  private record Node(Process process, Path dataDir, int httpPort) {
    static Node start(
        Path launcher, Path config, Path dataDir, int httpPort, int remotePort, int seedPort)
        throws IOException {
      Files.createDirectories(dataDir);
      ProcessBuilder pb =
          new ProcessBuilder(
              launcher.toString(),
              "run",
              "--config",
              config.toString(),
              "--data-dir",
              dataDir.toString(),
              "--host",
              "127.0.0.1",
              "--http-port",
              Integer.toString(httpPort),
              "--etcd-port",
              "0",
              "--kafka-port",
              "0",
              "--remote-port",
              Integer.toString(remotePort),
              "--seed",
              "127.0.0.1:" + seedPort);
      pb.environment().put("COHORT_SKIP_BUILD", "1");
      pb.redirectErrorStream(true).redirectOutput(dataDir.resolve("node.log").toFile());
      return new Node(pb.start(), dataDir, httpPort);
    }

    /** Fails with the end of the node's log (the directory is deleted afterwards). */
    void checkAlive() throws IOException {
      if (!process.isAlive()) {
        List<String> log = Files.readAllLines(dataDir.resolve("node.log"));
        throw new IllegalStateException(
            "node on port "
                + httpPort
                + " exited with "
                + process.exitValue()
                + "; the end of its log:\n"
                + String.join("\n", log.subList(Math.max(0, log.size() - 15), log.size())));
      }
    }

    long rssBytes() throws IOException {
      for (String line :
          Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return 0;
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
