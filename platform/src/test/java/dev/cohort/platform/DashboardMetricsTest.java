package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.training.SyntheticDataset;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every metric a shipped Grafana dashboard ({@code conf/grafana/*.json}) or alert rule ({@code
 * conf/prometheus/alerts.yml}) queries is served by a real node's {@code /metrics} after a workload
 * that touches every module: kv puts, a lease and a two-phase transaction, a produce and a consumer
 * group that fetches and commits, a projection, a saga that compensates, a training job. A renamed
 * or misspelt series fails here instead of leaving an empty panel or an alert that never fires.
 *
 * <p>Metric names are the identifiers in each PromQL expression that start with a prefix a node
 * serves ({@code cohort_}, {@code kafka_}, {@code jvm_}, {@code process_}); {@code up} is
 * Prometheus' own and is left out.
 */
@Tag("integration")
class DashboardMetricsTest {
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:cohort|kafka|jvm|process)_[a-zA-Z0-9_]+)\\b");
  private static final Pattern ALERT_EXPR =
      Pattern.compile("(?m)^\\s+expr:\\s*(>\\s*\\n(?:\\s{10,}.*\\n)+|.*$)");

  private static HttpServer participant;
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    participant = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    participant.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          int status = exchange.getRequestURI().getPath().equals("/pay") ? 402 : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    participant.start();
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-dashboards").build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
    participant.stop(0);
  }

  @Test
  void everyDashboardAndAlertMetricIsServedAfterAWorkloadOnEveryModule() throws Exception {
    TreeMap<String, Set<String>> queried = queriedMetrics();
    assertTrue(queried.size() >= 6, "dashboards and alert rules found: " + queried.keySet());

    kvWorkload();
    logWorkload();
    sagaWorkload();
    trainingWorkload();

    // Some gauges are refreshed on a timer (shards per node): give them a few scrapes.
    List<String> missing = new ArrayList<>();
    Set<String> served = Set.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    do {
      missing.clear();
      Set<String> now = servedMetrics(http.send("GET", "/metrics", null).body());
      queried.forEach(
          (file, names) ->
              names.stream()
                  .filter(n -> !now.contains(n))
                  .forEach(n -> missing.add(file + ": " + n)));
      served = now;
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    } while (!missing.isEmpty() && System.nanoTime() < deadline);
    assertEquals(List.of(), missing, "served: " + served);
  }

  /**
   * Metric names per file: every dashboard's target expressions and variable queries, every rule.
   */
  private static TreeMap<String, Set<String>> queriedMetrics() throws IOException {
    Path conf = NodeProcess.repositoryRoot().resolve("conf");
    TreeMap<String, Set<String>> byFile = new TreeMap<>();
    try (Stream<Path> files = Files.list(conf.resolve("grafana"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        JsonNode dashboard = HttpTestClient.JSON.readTree(file.toFile());
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> expressions.add(e.asText()));
        dashboard
            .path("templating")
            .path("list")
            .forEach(
                v -> {
                  if (v.path("type").asText().equals("query")) {
                    expressions.add(v.path("definition").asText());
                  }
                });
        assertTrue(expressions.size() > 2, file + " has no queries");
        byFile.put("grafana/" + file.getFileName(), namesIn(file.toString(), expressions));
      }
    }
    String rules = Files.readString(conf.resolve("prometheus/alerts.yml"));
    List<String> expressions = new ArrayList<>();
    Matcher m = ALERT_EXPR.matcher(rules);
    while (m.find()) {
      expressions.add(m.group(1));
    }
    assertTrue(expressions.size() >= 8, "alert expressions found: " + expressions);
    Set<String> names =
        namesIn(
            "alerts.yml", expressions.stream().filter(e -> !e.trim().startsWith("up{")).toList());
    byFile.put("prometheus/alerts.yml", names);
    return byFile;
  }

  private static Set<String> namesIn(String file, List<String> expressions) {
    Set<String> names = new TreeSet<>();
    for (String expression : expressions) {
      Matcher m = METRIC.matcher(expression);
      boolean any = false;
      while (m.find()) {
        names.add(m.group(1));
        any = true;
      }
      assertTrue(any, file + ": no metric name in '" + expression + "'");
    }
    return names;
  }

  /**
   * Sample names in a Prometheus text exposition ({@code name{labels} value} or {@code name
   * value}).
   */
  private static Set<String> servedMetrics(String exposition) {
    Set<String> names = new TreeSet<>();
    exposition
        .lines()
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .forEach(l -> names.add(l.split("[{ ]", 2)[0]));
    return names;
  }

  private static void kvWorkload() throws Exception {
    String a = "dash/a";
    int pa =
        ok(http.send("PUT", "/v1/kv/default/keys/" + a, "{\"value\":\"1\"}"))
            .get("header")
            .get("partition")
            .asInt();
    String b = null;
    for (int i = 0; b == null; i++) {
      String candidate = "dash/b" + i;
      if (ok(http.send("PUT", "/v1/kv/default/keys/" + candidate, "{\"value\":\"2\"}"))
              .get("header")
              .get("partition")
              .asInt()
          != pa) {
        b = candidate;
      }
    }
    String txn =
        "{\"success\":[{\"put\":{\"key\":\"%s\",\"value\":\"3\"}},{\"put\":{\"key\":\"%s\",\"value\":\"4\"}}]}";
    assertTrue(
        ok(http.send("POST", "/v1/kv/default/txn", txn.formatted(a, b)))
            .get("succeeded")
            .asBoolean());
    ok(http.send("POST", "/v1/leases", "{\"ttlSeconds\":30}"));
  }

  private static void logWorkload() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"dash-orders\",\"partitions\":2}"));
    StringBuilder records = new StringBuilder("{\"records\":[");
    for (int i = 0; i < 6; i++) {
      records
          .append(i == 0 ? "" : ",")
          .append("{\"key\":\"u")
          .append(i % 3)
          .append("\",\"value\":\"{\\\"user_id\\\":\\\"u")
          .append(i % 3)
          .append("\\\",\\\"amount\\\":")
          .append(i)
          .append("}\"}");
    }
    ok(http.send("POST", "/v1/topics/dash-orders/records", records.append("]}").toString()));
    String member =
        ok(http.send(
                "POST",
                "/v1/groups/dash/members",
                "{\"topics\":[\"dash-orders\"],\"autoOffsetReset\":\"earliest\"}"))
            .get("memberId")
            .asText();
    await(
        () ->
            ok(http.send("POST", "/v1/groups/dash/members/" + member + "/heartbeat", "{}"))
                    .get("assignment")
                    .size()
                == 2,
        "the only member owns both partitions");
    JsonNode fetched =
        ok(
            http.send(
                "GET",
                "/v1/groups/dash/members/" + member + "/records?maxRecords=100&maxWaitMs=200",
                null));
    JsonNode first = fetched.get("records").get(0);
    ok(
        http.send(
            "POST",
            "/v1/groups/dash/offsets",
            "{\"memberId\":\""
                + member
                + "\",\"generation\":"
                + fetched.get("generation").asInt()
                + ",\"offsets\":[{\"topic\":\"dash-orders\",\"partition\":"
                + first.get("partition").asInt()
                + ",\"offset\":"
                + (first.get("offset").asLong() + 1)
                + "}]}"));
    ok(
        http.send(
            "PUT",
            "/v1/projections/dash-amounts",
            "{\"source\":{\"topic\":\"dash-orders\"},\"sink\":{\"keyspace\":\"dash-amounts\"},"
                + "\"mode\":\"sum\",\"field\":\"amount\",\"keyFrom\":\"field:user_id\"}"));
    await(
        () -> http.send("GET", "/metrics", null).body().contains("cohort_saga_projection_lag{"),
        "the projection reports its lag");
  }

  private static void sagaWorkload() throws Exception {
    int port = participant.getAddress().getPort();
    ok(
        http.send(
            "PUT",
            "/v1/sagas/definitions/dash-checkout",
            """
        {"steps":[
          {"name":"reserve",
           "action":{"kv":{"op":"put","keyspace":"default","key":"dash/${sagaId}","value":"reserved"}},
           "compensation":{"kv":{"op":"put","keyspace":"default","key":"dash/${sagaId}","value":"released"}}},
          {"name":"pay",
           "action":{"http":{"method":"POST","url":"http://127.0.0.1:%d/pay","body":{},"successStatus":[200]}},
           "retry":{"maxAttempts":1,"initialBackoffMs":10,"maxBackoffMs":10,"multiplier":1.0},
           "timeoutMs":2000}
        ]}
        """
                .formatted(port)));
    ok(http.send("POST", "/v1/sagas/dash-checkout/instances", "{\"id\":\"dash-1\",\"input\":{}}"));
    await(
        () ->
            ok(http.send("GET", "/v1/sagas/instances/dash-1", null))
                .get("state")
                .asText()
                .equals("COMPENSATED"),
        "the declined saga compensated");
  }

  private static void trainingWorkload() throws Exception {
    node.log()
        .createTopic("dash-synthetic", 1, java.util.Map.of())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    node.log()
        .send(
            "dash-synthetic",
            SyntheticDataset.records(128, 8, 3, 11).stream()
                .map(bytes -> ProducerRecord.of("dash-synthetic", (byte[]) null, bytes))
                .toList())
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    var submitted =
        http.send(
            "POST",
            "/v1/training/jobs",
            """
        {"id":"dash-job","name":"tiny","model":{"type":"mlp","layers":[8,16,3],"activation":"relu"},
         "dataset":{"topic":"dash-synthetic"},"workers":{"min":2,"max":2},"backend":"ring",
         "epochs":1,"batchSize":16,"optimizer":{"type":"sgd","lr":0.01},"seed":5,
         "checkpointEverySteps":20,"bucketCapMb":1}
        """);
    assertEquals(201, submitted.statusCode(), submitted.body());
    await(
        () ->
            ok(http.send("GET", "/v1/training/jobs/dash-job", null))
                .get("state")
                .asText()
                .equals("COMPLETED"),
        "the training job completed");
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(Condition condition, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 120 s: " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }
}
