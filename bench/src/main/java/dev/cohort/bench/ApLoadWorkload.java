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
 * Fills one AP keyspace on a cluster of real node processes ({@code ./cohort run}, one JVM each, on
 * loopback) with {@code keys} keys of 16 bytes and {@code valueBytes}-byte values over HTTP, then
 * reports the write rate, how long every replica took to hold every key, whether sampled keys read
 * back right on every node, and each node's heap after a full GC, resident memory and durable-store
 * size: the measured basis of the key-count limit in kv/README-ap.md.
 */
final class ApLoadWorkload implements Bench.Workload {
  private static final String KEYSPACE = "load";
  private static final Pattern AP_KEYS =
      Pattern.compile("cohort_kv_ap_keys\\{keyspace=\"" + KEYSPACE + "\"} ([0-9.eE+]+)");
  private static final Pattern HEAP_USED =
      Pattern.compile("jvm_memory_used_bytes\\{area=\"heap\"} ([0-9.eE+]+)");

  @Override
  public String description() {
    return "AP keyspace load on real node processes over HTTP; nodes=3 keys=1000000 valueBytes=100"
        + " clients=48 consistency=one sample=2000 fsync=on";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int nodes = params.intValue("nodes", 3);
    int keys = params.intValue("keys", 1_000_000);
    int valueBytes = params.intValue("valueBytes", 100);
    int clients = params.intValue("clients", 48);
    int sample = params.intValue("sample", 2000);
    String consistency = params.values().getOrDefault("consistency", "one");
    String fsync = params.values().getOrDefault("fsync", "on");
    Path launcher = Path.of(System.getProperty("cohort.root", ".")).resolve("cohort");
    Path root = Files.createTempDirectory("cohort-bench-ap");
    Path config = root.resolve("node.conf");
    // The key-count gauge is refreshed by the sweep; a short interval makes convergence visible.
    Files.writeString(config, "cohort.kv.ap.sweep-interval = 5s\ncohort.kv.ap.durable.fsync = " + fsync + "\ncohort.kv.ap.durable.enabled = " + params.values().getOrDefault("durable", "on") + "\n");

    List<Node> cluster = new ArrayList<>();
    try {
      int seedPort = freePort();
      for (int i = 0; i < nodes; i++) {
        cluster.add(Node.start(launcher, config, root.resolve("node-" + i), freePort(),
            i == 0 ? seedPort : freePort(), seedPort));
      }
      PlainHttp setup = new PlainHttp("127.0.0.1", cluster.get(0).httpPort);
      awaitTrue(Duration.ofSeconds(180), () -> {
        for (Node n : cluster) {
          n.checkAlive();
          if (!ok(new PlainHttp("127.0.0.1", n.httpPort), "GET", "/health/ready", null)) {
            return false;
          }
        }
        return ok(setup, "PUT", "/v1/keyspaces/" + KEYSPACE, "{\"mode\":\"ap\"}")
            && ok(setup, "PUT", "/v1/kv/" + KEYSPACE + "/keys/ready?consistency=all",
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
        threads.add(Thread.ofPlatform().start(() -> {
          for (int k = next.getAndIncrement(); k < keys; k = next.getAndIncrement()) {
            long t0 = System.nanoTime();
            try {
              http.send("PUT", "/v1/kv/" + KEYSPACE + "/keys/" + key(k) + "?consistency=" + consistency,
                  "{\"value\":\"" + value(k, valueBytes) + "\"}");
              latencies.record(System.nanoTime() - t0);
            } catch (IOException e) {
              errors.incrementAndGet();
            }
          }
        }));
      }
      Thread progress = Thread.ofPlatform().daemon().start(() -> {
        try {
          while (true) {
            Thread.sleep(10_000);
            System.err.printf("ap-load: %d of %d keys written%n", Math.min(next.get(), keys), keys);
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
          "bench=ap_load nodes=%d keys=%d value_bytes=%d consistency=%s fsync=%s clients=%d writes_per_s=%.0f"
              + " p50_ms=%.3f p99_ms=%.3f seconds=%.1f errors=%d%n",
          nodes, keys, valueBytes, consistency, fsync, clients, latencies.count() / loadSeconds,
          latencies.percentileMillis(50), latencies.percentileMillis(99), loadSeconds, errors.get());

      long converge = System.nanoTime();
      long expected = keys - errors.get();
      awaitTrue(Duration.ofMinutes(10), () -> {
        for (Node n : cluster) {
          if (metric(n, AP_KEYS) < expected) {
            return false;
          }
        }
        return true;
      });
      System.out.printf("bench=ap_load_converge nodes=%d keys_per_replica=%d seconds=%.1f%n",
          nodes, expected, (System.nanoTime() - converge) / 1e9);

      for (int i = 0; i < nodes; i++) {
        int matching = 0;
        for (int s = 0; s < sample; s++) {
          int k = ThreadLocalRandom.current().nextInt(keys);
          try {
            String body = endpoints.get(i).send("GET", "/v1/kv/" + KEYSPACE + "/keys/" + key(k)
                + "?consistency=one", null);
            if (body.contains("\"value\":\"" + value(k, valueBytes) + "\"")) {
              matching++;
            }
          } catch (IOException missing) {
            // counted as not matching
          }
        }
        System.out.printf("bench=ap_load_reads node=%d consistency=one sampled=%d matching=%d%n",
            i, sample, matching);
      }

      for (int i = 0; i < nodes; i++) {
        Node n = cluster.get(i);
        new ProcessBuilder(jcmd(), Long.toString(n.process.pid()), "GC.run")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
            .waitFor(60, TimeUnit.SECONDS);
        double heap = metric(n, HEAP_USED);
        System.out.printf(
            "bench=ap_load_memory node=%d keys=%d heap_used_mb_after_gc=%.0f heap_bytes_per_key=%.0f"
                + " rss_mb=%.0f durable_store_mb=%.1f%n",
            i, expected, heap / (1 << 20), heap / expected, n.rssBytes() / (double) (1 << 20),
            directoryBytes(n.dataDir.resolve("ddata")) / (double) (1 << 20));
      }
    } finally {
      for (Node n : cluster) {
        n.stop();
      }
      deleteTree(root);
    }
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
      Matcher m = pattern.matcher(new PlainHttp("127.0.0.1", node.httpPort).send("GET", "/metrics", null));
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
    static Node start(Path launcher, Path config, Path dataDir, int httpPort, int remotePort,
        int seedPort) throws IOException {
      Files.createDirectories(dataDir);
      ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "run", "--config", config.toString(),
          "--data-dir", dataDir.toString(), "--host", "127.0.0.1",
          "--http-port", Integer.toString(httpPort), "--kafka-port", "0",
          "--remote-port", Integer.toString(remotePort),
          "--seed", "127.0.0.1:" + seedPort);
      pb.environment().put("COHORT_SKIP_BUILD", "1");
      pb.redirectErrorStream(true).redirectOutput(dataDir.resolve("node.log").toFile());
      return new Node(pb.start(), dataDir, httpPort);
    }

    void checkAlive() {
      if (!process.isAlive()) {
        throw new IllegalStateException("node on port " + httpPort + " exited with "
            + process.exitValue() + "; see " + dataDir.resolve("node.log"));
      }
    }

    long rssBytes() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
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
