package dev.cohort.bench;

import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kv service over HTTP in etcd's load shape: closed-loop clients (one thread each, a request
 * then its reply), 16-byte keys out of 10,000, 100-byte values; ops put, get and txn (a
 * compare-and-swap on the client's own key that always succeeds). Clients speak HTTP/1.1 over one
 * keep-alive connection each ({@link PlainHttp}), as etcd's load generator keeps grpc channels open.
 */
final class KvHttpWorkload implements Bench.Workload {
  private static final int KEYS = 10_000;
  private static final String VALUE = "v".repeat(100);

  @Override
  public String description() {
    return "kv over HTTP, closed loop; ops=put,get,txn clients=1,16,64 seconds=3 warmup=1";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int seconds = params.intValue("seconds", 3);
    int warmup = params.intValue("warmup", 1);
    List<String> ops = List.of(params.values().getOrDefault("ops", "put,get,txn").split(","));
    List<Integer> clientCounts = new ArrayList<>();
    for (String c : params.values().getOrDefault("clients", "1,16,64").split(",")) {
      clientCounts.add(Integer.parseInt(c));
    }
    CohortConfig config =
        CohortConfig.builder()
            .dataDir(Files.createTempDirectory("cohort-bench-kv"))
            .httpPort(0)
            .remotePort(0)
            .build();
    try (CohortNode node = Cohort.start(config)) {
      String base = "/v1/kv/default";
      PlainHttp client = new PlainHttp("127.0.0.1", node.httpAddress().getPort());
      for (int k = 0; k < KEYS; k++) {
        put(client, base, key(k));
      }
      for (String op : ops) {
        for (int clients : clientCounts) {
          measure(client, base, op, clients, warmup, seconds);
        }
      }
    }
  }

  private static void measure(PlainHttp client, String base, String op, int clients, int warmup, int seconds)
      throws InterruptedException {
    Latencies latencies = new Latencies();
    AtomicLong errors = new AtomicLong();
    long recordFrom = System.nanoTime() + Duration.ofSeconds(warmup).toNanos();
    long end = recordFrom + Duration.ofSeconds(seconds).toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int clientId = c;
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    long modRevision = 0;
                    String own = String.format("t%015d", clientId);
                    while (System.nanoTime() < end) {
                      long start = System.nanoTime();
                      try {
                        switch (op) {
                          case "put" -> put(client, base, key(ThreadLocalRandom.current().nextInt(KEYS)));
                          case "get" -> client.send("GET", base + "/keys/" + key(ThreadLocalRandom.current().nextInt(KEYS)), null);
                          default -> modRevision = cas(client, base, own, modRevision);
                        }
                        if (start >= recordFrom) {
                          latencies.record(System.nanoTime() - start);
                        }
                      } catch (Exception e) {
                        errors.incrementAndGet();
                      }
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    System.out.printf(
        "bench=kv_http op=%s clients=%d ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f ops=%d errors=%d%n",
        op, clients, latencies.count() / (double) seconds, latencies.percentileMillis(50),
        latencies.percentileMillis(99), latencies.count(), errors.get());
  }

  /** CAS on the client's own key: if modRevision == last then put else get; returns the new one. */
  private static long cas(PlainHttp client, String base, String key, long last) throws Exception {
    String body =
        "{\"compare\":[{\"key\":\"" + key + "\",\"target\":\"modRevision\",\"op\":\"=\",\"value\":" + last + "}],"
            + "\"success\":[{\"put\":{\"key\":\"" + key + "\",\"value\":\"" + VALUE + "\"}}],"
            + "\"failure\":[{\"get\":{\"key\":\"" + key + "\"}}]}";
    String response = client.send("POST", base + "/txn", body);
    int at = response.indexOf("\"revision\":");
    long revision = Long.parseLong(response.substring(at + 11, response.indexOf('}', at)));
    if (response.contains("\"succeeded\":false")) {
      int mod = response.indexOf("\"modRevision\":");
      return mod < 0 ? 0 : Long.parseLong(response.substring(mod + 14, response.indexOf(',', mod)));
    }
    return revision;
  }

  private static void put(PlainHttp client, String base, String key) throws Exception {
    client.send("PUT", base + "/keys/" + key, "{\"value\":\"" + VALUE + "\"}");
  }

  private static String key(int k) {
    return String.format("k%015d", k);
  }
}
