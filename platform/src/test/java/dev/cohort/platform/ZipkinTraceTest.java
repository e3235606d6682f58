package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Traces of a two-node cluster (two embedded nodes on the shared PostgreSQL journal) in a real
 * Zipkin server (io.zipkin:zipkin-server:3.5.1 exec jar, resolved by Maven into target/zipkin,
 * in-memory storage, started once for the class). Each trace is fetched from Zipkin's API and its
 * span tree asserted.
 */
@Tag("integration")
class ZipkinTraceTest {
  private static final HttpClient client = HttpClient.newHttpClient();
  private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

  /** The traceparent each participant request arrived with, by saga id. */
  private static final Map<String, String> participantTraceparents = new ConcurrentHashMap<>();

  private static Process zipkin;
  private static String zipkinApi;
  private static HttpServer participant;
  private static CohortNode first;
  private static CohortNode second;

  @BeforeAll
  static void start() throws Exception {
    Path jar = Path.of("target/zipkin/zipkin-server-exec.jar");
    assertTrue(
        Files.isRegularFile(jar),
        "no "
            + jar.toAbsolutePath()
            + ": the platform build's"
            + " pre-integration-test phase copies it from Maven (io.zipkin:zipkin-server:3.5.1:exec)");
    int zipkinPort = NodeProcess.freePort();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-jar",
                jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(Files.createTempFile("zipkin-", ".log").toFile());
    builder.environment().put("STORAGE_TYPE", "mem");
    builder.environment().put("QUERY_PORT", Integer.toString(zipkinPort));
    zipkin = builder.start();
    zipkinApi = "http://127.0.0.1:" + zipkinPort;
    await(
        Duration.ofSeconds(120),
        () -> status(zipkinApi + "/health") == 200,
        "Zipkin answers /health");

    participant = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    participant.createContext(
        "/pay",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
          String traceparent = exchange.getRequestHeaders().getFirst("traceparent");
          if (key != null && traceparent != null) {
            participantTraceparents.put(key.substring(0, key.indexOf(':')), traceparent);
          }
          exchange.sendResponseHeaders(201, -1);
          exchange.close();
        });
    participant.start();

    int seedPort = NodeProcess.freePort();
    first = Cohort.start(node("zipkin-a", seedPort, seedPort).build());
    second = Cohort.start(node("zipkin-b", 0, seedPort).build());
    HttpTestClient http = new HttpTestClient(first);
    await(
        Duration.ofSeconds(60),
        () -> {
          int up = 0;
          for (JsonNode m : ok(http.send("GET", "/v1/cluster", null)).get("members")) {
            up += m.get("status").asText().equals("Up") ? 1 : 0;
          }
          return up == 2;
        },
        "both nodes Up");
  }

  private static CohortConfig.Builder node(String name, int remotePort, int seedPort)
      throws IOException {
    return HttpTestClient.embeddedNode("cohort-" + name)
        .configFile(NodeProcess.repositoryRoot().resolve("conf/cluster-node.conf"))
        .remotePort(remotePort)
        .seed("127.0.0.1:" + seedPort)
        .override("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on")
        .override("cohort.observability.tracing.exporter", "zipkin")
        .override("cohort.observability.tracing.endpoint", zipkinApi + "/api/v2/spans");
  }

  @AfterAll
  static void stop() throws Exception {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
    if (participant != null) {
      participant.stop(0);
    }
    if (zipkin != null) {
      zipkin.destroy();
      if (!zipkin.waitFor(30, TimeUnit.SECONDS)) {
        zipkin.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * An HTTP saga started through the first node's gateway: its trace holds the gateway's server
   * span as root, the saga entity's handling of Start and each step attempt as children of it, and
   * the participant received the pay attempt's span as its traceparent. Instances are sharded over
   * both nodes, so some trace crosses them: it has spans of both service instances.
   */
  @Test
  void httpSagaTraceSpansTheGatewayTheStepsAndTheParticipantAcrossNodes() throws Exception {
    HttpTestClient http = new HttpTestClient(first);
    ok(
        http.send(
            "PUT",
            "/v1/sagas/definitions/zipkin-order",
            """
        {"steps":[
          {"name":"reserve",
           "action":{"kv":{"op":"put","keyspace":"default","key":"zipkin/${sagaId}","value":"held"}},
           "compensation":{"kv":{"op":"put","keyspace":"default","key":"zipkin/${sagaId}","value":"free"}}},
          {"name":"pay",
           "action":{"http":{"method":"POST","url":"http://127.0.0.1:%d/pay","body":{},"successStatus":[201]}}}
        ]}
        """
                .formatted(participant.getAddress().getPort())));
    Set<String> instancesSeen = new TreeSet<>();
    for (int i = 0; i < 8 && instancesSeen.size() < 2; i++) {
      // The shared journal outlives a run: a new id per run, or the instance already completed.
      String id = "zipkin-" + RUN + "-" + i;
      HttpResponse<String> started =
          http.send(
              "POST", "/v1/sagas/zipkin-order/instances", "{\"id\":\"" + id + "\",\"input\":{}}");
      ok(started);
      String traceId = started.headers().firstValue("traceparent").orElseThrow().substring(3, 35);
      String[] state = {""};
      await(
          Duration.ofSeconds(60),
          () -> {
            state[0] = http.send("GET", "/v1/sagas/instances/" + id, null).body();
            return HttpTestClient.JSON
                .readTree(state[0])
                .path("state")
                .asText()
                .equals("COMPLETED");
          },
          () -> "saga " + id + " completed: " + state[0]);
      List<JsonNode> spans =
          awaitTrace(
              traceId,
              Set.of(
                  "post /v1/sagas/{definition}/instances",
                  "saga start",
                  "saga zipkin-order reserve action",
                  "saga zipkin-order pay action"));

      Map<String, JsonNode> byName = new HashMap<>();
      spans.forEach(s -> byName.put(s.path("name").asText(), s));
      JsonNode root = byName.get("post /v1/sagas/{definition}/instances");
      assertTrue(
          root != null && root.path("parentId").isMissingNode(), "gateway root span: " + spans);
      assertEquals("SERVER", root.path("kind").asText());
      JsonNode handled = byName.get("saga start");
      JsonNode reserve = byName.get("saga zipkin-order reserve action");
      JsonNode pay = byName.get("saga zipkin-order pay action");
      assertTrue(
          handled != null && reserve != null && pay != null, "saga spans: " + byName.keySet());
      for (JsonNode child : List.of(handled, reserve, pay)) {
        assertEquals(root.path("id").asText(), child.path("parentId").asText(), child.toString());
      }
      assertEquals(id, handled.path("tags").path("cohort.entity_id").asText(), handled.toString());
      assertEquals(id, pay.path("tags").path("saga.id").asText(), pay.toString());
      await(
          Duration.ofSeconds(10),
          () -> participantTraceparents.containsKey(id),
          "participant called");
      assertEquals(
          "00-" + traceId + "-" + pay.path("id").asText(),
          participantTraceparents.get(id).substring(0, 52),
          "the participant continues the pay attempt's span");

      Set<String> instances = new TreeSet<>();
      spans.forEach(s -> instances.add(s.path("tags").path("service.instance.id").asText()));
      instances.remove("");
      assertTrue(!instances.isEmpty(), spans.toString());
      if (instances.size() == 2) {
        instancesSeen.addAll(instances);
      }
    }
    assertEquals(2, instancesSeen.size(), "no saga trace crossed the two nodes in 8 instances");
  }

  /**
   * A put through the first node's gateway to a key whose partition lives on the second node: the
   * trace is gateway → kv batcher (first node) → kv partition write (second node) → journal write
   * (with the batch's command and event counts) and reply; the JSON log lines of the gateway and of
   * the partition, on two nodes, carry the trace id.
   */
  @Test
  void crossNodePutTraceAndItsLogLines() throws Exception {
    Logger partitionLogger = (Logger) LoggerFactory.getLogger("dev.cohort.kv.internal.KvPartition");
    Logger accessLogger = (Logger) LoggerFactory.getLogger("dev.cohort.gateway.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    partitionLogger.setLevel(Level.DEBUG);
    accessLogger.setLevel(Level.INFO);
    partitionLogger.addAppender(lines);
    accessLogger.addAppender(lines);
    try {
      HttpTestClient http = new HttpTestClient(first);
      String firstNode = first.system().address().toString();
      String secondNode = second.system().address().toString();
      for (int i = 0; i < 40; i++) {
        HttpResponse<String> put =
            http.send("PUT", "/v1/kv/default/keys/zipkin/put-" + i, "{\"value\":\"v\"}");
        ok(put);
        String traceId = put.headers().firstValue("traceparent").orElseThrow().substring(3, 35);
        List<JsonNode> spans =
            awaitTrace(
                traceId,
                Set.of(
                    "put /v1/kv/{ks}/keys/{key*}",
                    "kv batcher",
                    "kv partition write",
                    "kv journal write",
                    "kv reply"));
        Map<String, JsonNode> byName = new HashMap<>();
        spans.forEach(s -> byName.put(s.path("name").asText(), s));
        JsonNode root = byName.get("put /v1/kv/{ks}/keys/{key*}");
        JsonNode batcher = byName.get("kv batcher");
        JsonNode write = byName.get("kv partition write");
        JsonNode journal = byName.get("kv journal write");
        JsonNode reply = byName.get("kv reply");
        assertTrue(
            root != null && batcher != null && write != null && journal != null && reply != null,
            "put spans: " + byName.keySet());
        assertEquals(root.path("id").asText(), batcher.path("parentId").asText());
        assertEquals(batcher.path("id").asText(), write.path("parentId").asText());
        assertEquals(write.path("id").asText(), journal.path("parentId").asText());
        assertEquals(write.path("id").asText(), reply.path("parentId").asText());
        assertTrue(journal.path("tags").path("kv.journal.events").asInt() >= 1, journal.toString());
        assertTrue(journal.path("tags").path("kv.batch.commands").asInt() >= 1, journal.toString());
        String partitionNode = write.path("tags").path("service.instance.id").asText();
        assertEquals(firstNode, root.path("tags").path("service.instance.id").asText());
        assertEquals(firstNode, batcher.path("tags").path("service.instance.id").asText());
        if (!partitionNode.equals(secondNode)) {
          continue; // the key's partition is on the gateway's node: try another key
        }
        assertEquals(secondNode, journal.path("tags").path("service.instance.id").asText());

        JsonEncoder json = new JsonEncoder();
        json.setContext(partitionLogger.getLoggerContext());
        json.start();
        List<String> traced =
            lines.list.stream()
                .filter(e -> traceId.equals(e.getMDCPropertyMap().get("trace_id")))
                .map(
                    e ->
                        e.getLoggerName()
                            + " "
                            + new String(json.encode(e), java.nio.charset.StandardCharsets.UTF_8))
                .toList();
        assertTrue(
            traced.stream()
                .anyMatch(
                    l ->
                        l.startsWith("dev.cohort.gateway.access ")
                            && l.contains("\"trace_id\":\"" + traceId + "\"")),
            "gateway line: " + traced);
        String escapedNode = secondNode.replace("/", "\\/"); // the JSON encoder escapes '/'
        assertTrue(
            traced.stream()
                .anyMatch(
                    l ->
                        l.startsWith("dev.cohort.kv.internal.KvPartition ")
                            && l.contains("\"trace_id\":\"" + traceId + "\"")
                            && l.contains("\"node\":\"" + escapedNode + "\"")),
            "partition line on the second node: " + traced);
        return;
      }
      throw new AssertionError("no key of 40 had its partition on the second node");
    } finally {
      partitionLogger.detachAppender(lines);
      accessLogger.detachAppender(lines);
      partitionLogger.setLevel(null);
    }
  }

  /**
   * A produce through the first node's gateway and a consume through the second node's: the
   * produce's trace holds the gateway span and a {@code log produce} PRODUCER span under it; each
   * consumed record carries that span as its {@code traceparent} header; the second node reports a
   * {@code log fetch} CONSUMER span for the fetch (its link to the producer is not part of Zipkin's
   * model, so only the span is asserted here); a projection of the topic applies the records in a
   * span under the produce span, with its kv writes below.
   */
  @Test
  void produceThenConsumeOnTheOtherNodeCarriesTheProducingSpanInRecordHeaders() throws Exception {
    String topic = "zipkin-orders-" + RUN;
    HttpTestClient producer = new HttpTestClient(first);
    HttpTestClient consumer = new HttpTestClient(second);
    ok(producer.send("POST", "/v1/topics", "{\"name\":\"" + topic + "\",\"partitions\":1}"));
    String view = "zipkin-view-" + RUN;
    HttpResponse<String> projection =
        producer.send(
            "PUT",
            "/v1/projections/" + view,
            "{\"source\":{\"topic\":\""
                + topic
                + "\"},\"sink\":{\"keyspace\":\""
                + view
                + "\"},\"mode\":\"latest\",\"keyFrom\":\"key\"}");
    assertEquals(201, projection.statusCode(), projection.body());
    HttpResponse<String> produced =
        producer.send(
            "POST",
            "/v1/topics/" + topic + "/records",
            "{\"records\":[{\"key\":\"a\",\"value\":\"1\"},{\"key\":\"b\",\"value\":\"2\"}]}");
    ok(produced);
    String traceId = produced.headers().firstValue("traceparent").orElseThrow().substring(3, 35);
    List<JsonNode> spans =
        awaitTrace(
            traceId,
            Set.of(
                "post /v1/topics/{topic}/records",
                "log produce " + topic,
                "projection " + view + " apply",
                // the view's partition may run on the other node, which exports its spans later
                "kv partition write"));
    JsonNode produce =
        spans.stream()
            .filter(s -> s.path("name").asText().equals("log produce " + topic))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no produce span: " + spans));
    JsonNode root =
        spans.stream().filter(s -> s.path("parentId").isMissingNode()).findFirst().orElseThrow();
    assertEquals("PRODUCER", produce.path("kind").asText());
    assertEquals(root.path("id").asText(), produce.path("parentId").asText());
    // The projection continues the produce's trace into its kv writes.
    JsonNode applied =
        spans.stream()
            .filter(s -> s.path("name").asText().equals("projection " + view + " apply"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        produce.path("id").asText(), applied.path("parentId").asText(), applied.toString());
    assertTrue(
        spans.stream().anyMatch(s -> s.path("name").asText().equals("kv partition write")),
        "the view's kv writes are in the trace: " + spans);

    String member =
        ok(consumer.send(
                "POST",
                "/v1/groups/zipkin-" + RUN + "/members",
                "{\"topics\":[\"" + topic + "\"],\"autoOffsetReset\":\"earliest\"}"))
            .get("memberId")
            .asText();
    await(
        Duration.ofSeconds(30),
        () ->
            ok(consumer.send(
                        "POST",
                        "/v1/groups/zipkin-" + RUN + "/members/" + member + "/heartbeat",
                        "{}"))
                    .get("assignment")
                    .size()
                == 1,
        "the member owns the partition");
    JsonNode fetched =
        ok(
            consumer.send(
                "GET",
                "/v1/groups/zipkin-"
                    + RUN
                    + "/members/"
                    + member
                    + "/records?maxRecords=10&maxWaitMs=500",
                null));
    assertEquals(2, fetched.get("records").size(), fetched.toString());
    for (JsonNode record : fetched.get("records")) {
      assertEquals(
          "00-" + traceId + "-" + produce.path("id").asText(),
          record.path("headers").path("traceparent").asText().substring(0, 52),
          record.toString());
    }
    String secondNode = second.system().address().toString();
    await(
        Duration.ofSeconds(30),
        () -> {
          JsonNode traces =
              HttpTestClient.JSON.readTree(
                  get(zipkinApi
                          + "/api/v2/traces?spanName="
                          + java.net.URLEncoder.encode(
                              "log fetch " + topic, java.nio.charset.StandardCharsets.UTF_8)
                          + "&limit=5")
                      .body());
          for (JsonNode trace : traces) {
            for (JsonNode span : trace) {
              if (span.path("kind").asText().equals("CONSUMER")
                  && span.path("tags").path("service.instance.id").asText().equals(secondNode)) {
                return true;
              }
            }
          }
          return false;
        },
        "a log fetch span of the second node");
  }

  /**
   * A transaction over two partitions: its trace holds one span per phase of the two-phase commit
   * (prepare, then commit) under the gateway's span, and one span per participant under each.
   */
  @Test
  void twoPhaseCommitHasASpanPerPhaseAndParticipant() throws Exception {
    HttpTestClient http = new HttpTestClient(first);
    String a = "zipkin/2pc-a-" + RUN;
    int pa =
        ok(http.send("PUT", "/v1/kv/default/keys/" + a, "{\"value\":\"1\"}"))
            .get("header")
            .get("partition")
            .asInt();
    String b = null;
    for (int i = 0; b == null; i++) {
      String candidate = "zipkin/2pc-b-" + RUN + "-" + i;
      if (ok(http.send("PUT", "/v1/kv/default/keys/" + candidate, "{\"value\":\"2\"}"))
              .get("header")
              .get("partition")
              .asInt()
          != pa) {
        b = candidate;
      }
    }
    HttpResponse<String> txn =
        http.send(
            "POST",
            "/v1/kv/default/txn",
            "{\"success\":[{\"put\":{\"key\":\"%s\",\"value\":\"3\"}},{\"put\":{\"key\":\"%s\",\"value\":\"4\"}}]}"
                .formatted(a, b));
    assertTrue(ok(txn).get("succeeded").asBoolean());
    String traceId = txn.headers().firstValue("traceparent").orElseThrow().substring(3, 35);
    List<JsonNode> spans =
        awaitTrace(traceId, Set.of("post /v1/kv/{ks}/txn", "kv 2pc prepare", "kv 2pc commit"));
    Map<String, JsonNode> byName = new HashMap<>();
    spans.forEach(s -> byName.put(s.path("name").asText(), s));
    String root = byName.get("post /v1/kv/{ks}/txn").path("id").asText();
    for (String phase : List.of("kv 2pc prepare", "kv 2pc commit")) {
      JsonNode span = byName.get(phase);
      assertEquals(root, span.path("parentId").asText(), span.toString());
      long participants =
          spans.stream()
              .filter(
                  s ->
                      s.path("parentId").asText().equals(span.path("id").asText())
                          && s.path("name").asText().startsWith(phase + " "))
              .count();
      assertEquals(2, participants, phase + " per participant: " + spans);
    }
  }

  /** The trace's spans once Zipkin holds spans of every name in {@code names}. */
  private static List<JsonNode> awaitTrace(String traceId, Set<String> names) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = get(zipkinApi + "/api/v2/trace/" + traceId);
      if (response.statusCode() == 200) {
        last = HttpTestClient.JSON.readTree(response.body());
        Set<String> seen = new TreeSet<>();
        last.forEach(span -> seen.add(span.path("name").asText()));
        if (seen.containsAll(names)) {
          List<JsonNode> spans = new java.util.ArrayList<>();
          last.forEach(spans::add);
          return spans;
        }
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
    throw new AssertionError(
        "trace " + traceId + " lacks some of " + names + " in Zipkin: " + last);
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int status(String url) {
    try {
      return get(url).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private interface Condition {
    boolean holds() throws Exception;
  }

  private static void await(Duration timeout, Condition condition, String what) throws Exception {
    await(timeout, condition, () -> what);
  }

  private static void await(
      Duration timeout, Condition condition, java.util.function.Supplier<String> what)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what.get());
      }
      LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
    }
  }
}
