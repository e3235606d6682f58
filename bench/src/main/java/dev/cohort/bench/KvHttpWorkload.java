package dev.cohort.bench;

import dev.cohort.platform.CohortNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kv service over HTTP in etcd's load shape: closed-loop clients (one thread each, a request
 * then its reply), 16-byte keys out of 10,000, 100-byte values; ops put, get and txn (a
 * compare-and-swap on the client's own key that always succeeds) and txn2pc (the same on two own
 * keys in different partitions, so every request runs a two-phase commit). Clients speak HTTP/1.1
 * over one keep-alive connection each ({@link PlainHttp}), as etcd's load generator keeps grpc
 * channels open.
 *
 * <p>Each point is measured after {@code warmup} seconds of the same load: the node runs in this
 * fresh JVM, and with a 1-second warm-up the put figure measured mostly the JIT (about 1,850 put/s
 * against 2,500–3,200 once warm, bench/RESULTS.md). etcd, compiled ahead of time, needs none.
 */
final class KvHttpWorkload implements Bench.Workload {
  private static final int KEYS = 10_000;
  private static final String VALUE = "v".repeat(100);

  @Override
  public String description() {
    return "kv over HTTP, closed loop; ops=put,get,txn,txn2pc clients=1,16,64 seconds=5 warmup=10"
        + " auth=off (on: auth enabled, every request with a bearer token of a root user)"
        + " tracing=off (or a sampler ratio: spans exported to a discarding Zipkin sink)";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int seconds = params.intValue("seconds", 5);
    int warmup = params.intValue("warmup", 10);
    List<String> ops =
        List.of(params.values().getOrDefault("ops", "put,get,txn,txn2pc").split(","));
    List<Integer> clientCounts = new ArrayList<>();
    for (String c : params.values().getOrDefault("clients", "1,16,64").split(",")) {
      clientCounts.add(Integer.parseInt(c));
    }
    boolean auth = "on".equals(params.values().getOrDefault("auth", "off"));
    try (BenchTracing tracing = BenchTracing.from(params);
        CohortNode node = tracing.startNode("kv")) {
      String base = "/v1/kv/default";
      PlainHttp client = new PlainHttp("127.0.0.1", node.httpAddress().getPort());
      if (auth) {
        client = client.withBearer(rootToken(node));
      }
      for (int k = 0; k < KEYS; k++) {
        put(client, base, key(k));
      }
      for (String op : ops) {
        for (int clients : clientCounts) {
          measure(client, base, op, clients, warmup, seconds, auth ? "on" : "off", tracing);
        }
      }
    }
  }

  /** Enables auth with a root user and returns a token of it. */
  private static String rootToken(CohortNode node) {
    String password = java.util.UUID.randomUUID().toString();
    node.security()
        .addUser("bench-root", password, List.of(dev.cohort.security.Role.ROOT))
        .toCompletableFuture()
        .join();
    node.security().setEnabled(true).toCompletableFuture().join();
    return node.security()
        .issueToken("bench-root", password, java.util.Optional.empty(), "bench")
        .toCompletableFuture()
        .join()
        .token();
  }

  private static void measure(
      PlainHttp client,
      String base,
      String op,
      int clients,
      int warmup,
      int seconds,
      String auth,
      BenchTracing tracing)
      throws Exception {
    Latencies latencies = new Latencies();
    AtomicLong errors = new AtomicLong();
    List<String[]> pairs = new ArrayList<>();
    if (op.equals("txn2pc")) {
      for (int c = 0; c < clients; c++) {
        pairs.add(pairInTwoPartitions(client, base, c));
      }
    }
    double[] commitsBefore = journalCommits(client);
    long recordFrom = System.nanoTime() + Duration.ofSeconds(warmup).toNanos();
    long end = recordFrom + Duration.ofSeconds(seconds).toNanos();
    ProcessCpu cpu = ProcessCpu.openingAt(recordFrom);
    ClosedLoop.run(
        clients,
        c -> client(client, base, op, c, op.equals("txn2pc") ? pairs.get(c) : null),
        recordFrom,
        end,
        latencies,
        errors);
    double cpuPerOp = cpu.microsPerOp(latencies.count());
    double[] commitsAfter = journalCommits(client);
    double syncs = commitsAfter[0] - commitsBefore[0];
    String perSync =
        syncs > 0
            ? String.format(
                " journal_writes_per_sync=%.1f", (commitsAfter[1] - commitsBefore[1]) / syncs)
            : "";
    System.out.printf(
        "bench=kv_http op=%s clients=%d auth=%s ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f ops=%d"
            + " errors=%d cpu_us_per_op=%.1f%s %s%n",
        op,
        clients,
        auth,
        latencies.count() / (double) seconds,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99),
        latencies.count(),
        errors.get(),
        cpuPerOp,
        perSync,
        tracing.fields());
  }

  /**
   * Client {@code c} of {@code op}: put and get pick random keys; txn and txn2pc keep the revision
   * or version their own keys are at between requests.
   */
  private static ClosedLoop.Client client(
      PlainHttp client, String base, String op, int c, String[] pair) {
    long[] at = {0}; // txn: the own key's modRevision; txn2pc: the pair's version
    String own = String.format("t%015d", c);
    return switch (op) {
      case "put" -> () -> put(client, base, key(ThreadLocalRandom.current().nextInt(KEYS)));
      case "get" ->
          () ->
              client.send(
                  "GET", base + "/keys/" + key(ThreadLocalRandom.current().nextInt(KEYS)), null);
      case "txn2pc" -> () -> at[0] = cas2(client, base, pair, at[0]);
      default -> () -> at[0] = cas(client, base, own, at[0]);
    };
  }

  /**
   * The file journal's syncs and the atomic writes they carried so far ({@code
   * cohort_journal_commit_records} count and sum from {@code /metrics}); zeros with another
   * journal.
   */
  private static double[] journalCommits(PlainHttp client) throws Exception {
    double[] countAndSum = new double[2];
    for (String line : client.send("GET", "/metrics", null).split("\n")) {
      if (line.startsWith("cohort_journal_commit_records_count ")) {
        countAndSum[0] = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
      } else if (line.startsWith("cohort_journal_commit_records_sum ")) {
        countAndSum[1] = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
      }
    }
    return countAndSum;
  }

  /** CAS on the client's own key: if modRevision == last then put else get; returns the new one. */
  private static long cas(PlainHttp client, String base, String key, long last) throws Exception {
    String body =
        "{\"compare\":[{\"key\":\""
            + key
            + "\",\"target\":\"modRevision\",\"op\":\"=\",\"value\":"
            + last
            + "}],"
            + "\"success\":[{\"put\":{\"key\":\""
            + key
            + "\",\"value\":\""
            + VALUE
            + "\"}}],"
            + "\"failure\":[{\"get\":{\"key\":\""
            + key
            + "\"}}]}";
    String response = client.send("POST", base + "/txn", body);
    int at = response.indexOf("\"revision\":");
    long revision = Long.parseLong(response.substring(at + 11, response.indexOf('}', at)));
    if (response.contains("\"succeeded\":false")) {
      int mod = response.indexOf("\"modRevision\":");
      return mod < 0 ? 0 : Long.parseLong(response.substring(mod + 14, response.indexOf(',', mod)));
    }
    return revision;
  }

  /**
   * Two keys of client {@code c} whose puts land in different partitions (the answer says where).
   */
  private static String[] pairInTwoPartitions(PlainHttp client, String base, int c)
      throws Exception {
    String a = String.format("ta%014d", c);
    int pa = partitionOf(put(client, base, a));
    for (int i = 0; ; i++) {
      String b = String.format("tb%08d-%05d", c, i);
      if (partitionOf(put(client, base, b)) != pa) {
        return new String[] {a, b};
      }
    }
  }

  private static int partitionOf(String putAnswer) {
    int at = putAnswer.indexOf("\"partition\":");
    return Integer.parseInt(putAnswer.substring(at + 12, putAnswer.indexOf(',', at)));
  }

  /**
   * CAS on both keys of a pair: if both are at {@code version} then put both, else get the first;
   * returns the version the pair is at now.
   */
  private static long cas2(PlainHttp client, String base, String[] pair, long version)
      throws Exception {
    String body =
        "{\"compare\":[{\"key\":\""
            + pair[0]
            + "\",\"target\":\"version\",\"op\":\"=\",\"value\":"
            + version
            + "},"
            + "{\"key\":\""
            + pair[1]
            + "\",\"target\":\"version\",\"op\":\"=\",\"value\":"
            + version
            + "}],"
            + "\"success\":[{\"put\":{\"key\":\""
            + pair[0]
            + "\",\"value\":\""
            + VALUE
            + "\"}},"
            + "{\"put\":{\"key\":\""
            + pair[1]
            + "\",\"value\":\""
            + VALUE
            + "\"}}],"
            + "\"failure\":[{\"get\":{\"key\":\""
            + pair[0]
            + "\"}}]}";
    String response = client.send("POST", base + "/txn", body);
    if (response.contains("\"succeeded\":false")) {
      int at = response.indexOf("\"version\":");
      return Long.parseLong(response.substring(at + 10, response.indexOf(',', at)));
    }
    return version + 1;
  }

  private static String put(PlainHttp client, String base, String key) throws Exception {
    return client.send("PUT", base + "/keys/" + key, "{\"value\":\"" + VALUE + "\"}");
  }

  private static String key(int k) {
    return String.format("k%015d", k);
  }
}
