package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kv service through the HTTP gateway of an embedded node: shapes, codes, no partial writes.
 */
@Tag("integration")
class KvHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-kv-http")
                .override("cohort.kv.max-value-bytes", 1024)
                .build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void keyspaceLifecycle() throws Exception {
    assertEquals(
        201,
        http.send("PUT", "/v1/keyspaces/orders-http", "{\"mode\":\"cp\",\"partitions\":8}")
            .statusCode());
    assertEquals(
        200,
        http.send("PUT", "/v1/keyspaces/orders-http", "{\"mode\":\"cp\",\"partitions\":8}")
            .statusCode());
    assertError(
        http.send("PUT", "/v1/keyspaces/orders-http", "{\"mode\":\"cp\",\"partitions\":4}"),
        409,
        "keyspace_exists");
    assertEquals(
        8, ok(http.send("GET", "/v1/keyspaces/orders-http", null)).get("partitions").asInt());
    List<String> names = new ArrayList<>();
    ok(http.send("GET", "/v1/keyspaces", null))
        .get("keyspaces")
        .forEach(k -> names.add(k.get("name").asText()));
    assertTrue(names.contains("default") && names.contains("orders-http"), names.toString());
    assertError(http.send("PUT", "/v1/keyspaces/Bad_Name", "{}"), 400, "invalid_keyspace_name");
  }

  @Test
  void putGetRangeDeleteWithTextAndBinaryValues() throws Exception {
    JsonNode put =
        ok(
            http.send(
                "PUT", "/v1/kv/default/keys/app/config/db%20url", "{\"value\":\"postgres://x\"}"));
    assertTrue(put.get("header").get("revision").asLong() > 0);
    JsonNode got = ok(http.send("GET", "/v1/kv/default/keys/app/config/db%20url", null));
    assertEquals("app/config/db url", got.get("kv").get("key").asText());
    assertEquals("postgres://x", got.get("kv").get("value").asText());
    assertEquals(1, got.get("kv").get("version").asLong());

    ok(http.send("PUT", "/v1/kv/default/keys/app/bin", "{\"valueBase64\":\"/w==\"}"));
    assertEquals(
        "/w==",
        ok(http.send("GET", "/v1/kv/default/keys/app/bin", null))
            .get("kv")
            .get("valueBase64")
            .asText());

    JsonNode range = ok(http.send("GET", "/v1/kv/default/keys?prefix=app/&limit=1", null));
    assertEquals(2, range.get("count").asLong());
    assertEquals(1, range.get("kvs").size());
    assertTrue(range.get("more").asBoolean());
    assertEquals("app/bin", range.get("kvs").get(0).get("key").asText());

    assertEquals(
        2,
        ok(http.send("DELETE", "/v1/kv/default/keys?prefix=app/", null)).get("deleted").asLong());
    assertError(http.send("GET", "/v1/kv/default/keys/app/bin", null), 404, "key_not_found");
  }

  @Test
  void transactionCompareAndSwap() throws Exception {
    ok(http.send("PUT", "/v1/kv/default/keys/%7Bacct%7D/balance", "{\"value\":\"10\"}"));
    String cas =
        """
        {"compare":[{"key":"{acct}/balance","target":"value","op":"=","value":"10"}],
         "success":[{"put":{"key":"{acct}/balance","value":"20"}},{"get":{"key":"{acct}/balance"}}],
         "failure":[{"get":{"key":"{acct}/balance"}}]}
        """;
    JsonNode first = ok(http.send("POST", "/v1/kv/default/txn", cas));
    assertTrue(first.get("succeeded").asBoolean());
    assertEquals("20", first.get("responses").get(1).get("get").get("kv").get("value").asText());
    JsonNode second = ok(http.send("POST", "/v1/kv/default/txn", cas));
    assertFalse(second.get("succeeded").asBoolean());
    assertEquals("20", second.get("responses").get(0).get("get").get("kv").get("value").asText());
  }

  @Test
  void crossPartitionTransactionRunsTwoPhaseCommitWithTheUsualShape() throws Exception {
    // Two keys whose puts answer with different partitions in their headers.
    String a = "xfer/a";
    int pa =
        ok(http.send("PUT", "/v1/kv/default/keys/" + a, "{\"value\":\"100\"}"))
            .get("header")
            .get("partition")
            .asInt();
    String b = null;
    for (int i = 0; b == null; i++) {
      String candidate = "xfer/b" + i;
      int p =
          ok(http.send("PUT", "/v1/kv/default/keys/" + candidate, "{\"value\":\"0\"}"))
              .get("header")
              .get("partition")
              .asInt();
      if (p != pa) {
        b = candidate;
      }
    }
    String transfer =
        """
        {"compare":[{"key":"%1$s","target":"value","op":"=","value":"100"},
                    {"key":"%2$s","target":"value","op":"=","value":"0"}],
         "success":[{"put":{"key":"%1$s","value":"60"}},{"put":{"key":"%2$s","value":"40"}},
                    {"get":{"key":"%2$s"}}],
         "failure":[{"get":{"key":"%1$s"}}]}
        """
            .formatted(a, b);
    JsonNode first = ok(http.send("POST", "/v1/kv/default/txn", transfer));
    assertTrue(first.get("succeeded").asBoolean());
    assertEquals(3, first.get("responses").size());
    assertEquals("40", first.get("responses").get(2).get("get").get("kv").get("value").asText());
    assertTrue(first.get("header").get("revision").asLong() > 0);
    assertEquals(2, first.get("headers").size());
    assertEquals(
        "60",
        ok(http.send("GET", "/v1/kv/default/keys/" + a, null)).get("kv").get("value").asText());
    assertEquals(
        "40",
        ok(http.send("GET", "/v1/kv/default/keys/" + b, null)).get("kv").get("value").asText());

    JsonNode again = ok(http.send("POST", "/v1/kv/default/txn", transfer));
    assertFalse(again.get("succeeded").asBoolean());
    assertEquals("60", again.get("responses").get(0).get("get").get("kv").get("value").asText());
    assertEquals(
        "40",
        ok(http.send("GET", "/v1/kv/default/keys/" + b, null)).get("kv").get("value").asText());
    String metrics = http.send("GET", "/metrics", null).body();
    assertTrue(metrics.contains("\ncohort_kv_txn_2pc_total{outcome=\"committed\"} "), metrics);
  }

  @Test
  void badInputIsA4xxAndChangesNothing() throws Exception {
    ok(http.send("PUT", "/v1/kv/default/keys/guarded", "{\"value\":\"original\"}"));
    long revision =
        ok(http.send("GET", "/v1/kv/default/keys/guarded", null))
            .get("kv")
            .get("modRevision")
            .asLong();

    assertError(
        http.send("PUT", "/v1/kv/default/keys/guarded", "{\"value\": 5}"), 400, "invalid_field");
    assertError(
        http.send(
            "PUT", "/v1/kv/default/keys/guarded", "{\"value\":\"x\",\"valueBase64\":\"eA==\"}"),
        400,
        "invalid_field");
    assertError(
        http.send("PUT", "/v1/kv/default/keys/guarded", "{\"value\":\"" + "x".repeat(2000) + "\"}"),
        413,
        "value_too_large");
    assertError(
        http.send("PUT", "/v1/kv/default/keys/guarded", "{\"value\":\"x\",\"lease\":987654321}"),
        404,
        "lease_not_found");
    assertError(
        http.send("PUT", "/v1/kv/default/keys/guarded", "{\"value\":"), 400, "malformed_json");
    assertError(
        http.send("PUT", "/v1/kv/default/keys/" + "k".repeat(1100), "{\"value\":\"x\"}"),
        413,
        "key_too_large");
    assertError(
        http.send(
            "POST",
            "/v1/kv/default/txn",
            "{\"compare\":[{\"key\":\"guarded\",\"target\":\"colour\",\"op\":\"=\",\"value\":\"x\"}]}"),
        400,
        "malformed_txn");
    assertError(
        http.send("POST", "/v1/kv/default/txn", "{\"success\":[{\"put\":{\"key\":\"guarded\"}}]}"),
        400,
        "invalid_field");
    assertError(
        http.send("PUT", "/v1/kv/no-such-space/keys/a", "{\"value\":\"x\"}"),
        404,
        "keyspace_not_found");

    JsonNode after = ok(http.send("GET", "/v1/kv/default/keys/guarded", null)).get("kv");
    assertEquals("original", after.get("value").asText());
    assertEquals(revision, after.get("modRevision").asLong());
  }

  @Test
  void leaseKeysAndLocks() throws Exception {
    JsonNode lease = ok(http.send("POST", "/v1/leases", "{\"ttlSeconds\":30}"));
    long id = lease.get("id").asLong();
    ok(
        http.send(
            "PUT", "/v1/kv/default/keys/session/1", "{\"value\":\"alive\",\"lease\":" + id + "}"));
    JsonNode listed = ok(http.send("GET", "/v1/leases", null)).get("leases");
    assertTrue(
        java.util.stream.StreamSupport.stream(listed.spliterator(), false)
            .anyMatch(n -> n.asLong() == id),
        listed.toString());
    JsonNode info = ok(http.send("GET", "/v1/leases/" + id, null));
    assertEquals("session/1", info.get("keys").get(0).get("key").asText());
    assertTrue(
        ok(http.send("POST", "/v1/leases/" + id + "/keepalive", null)).get("ttlSeconds").asLong()
            > 25);
    ok(http.send("DELETE", "/v1/leases/" + id, null));
    assertError(http.send("GET", "/v1/kv/default/keys/session/1", null), 404, "key_not_found");

    JsonNode lock = ok(http.send("POST", "/v1/locks/jobs", "{\"ttlSeconds\":30,\"waitMs\":1000}"));
    assertError(
        http.send("POST", "/v1/locks/jobs", "{\"ttlSeconds\":30,\"waitMs\":200}"),
        409,
        "lock_timeout");
    String key = lock.get("key").asText();
    ok(
        http.send(
            "DELETE",
            "/v1/locks/jobs/"
                + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"),
            null));
    JsonNode next = ok(http.send("POST", "/v1/locks/jobs", "{\"ttlSeconds\":30,\"waitMs\":1000}"));
    assertTrue(next.get("fencingToken").asLong() > lock.get("fencingToken").asLong());
  }

  /**
   * Contenders over HTTP increment one counter under a lock: no update is lost, and fencing tokens
   * strictly increase in the order the lock was granted.
   */
  @Test
  void lockContendersOverHttpLoseNoUpdate() throws Exception {
    ok(http.send("PUT", "/v1/kv/default/keys/locked/counter", "{\"value\":\"0\"}"));
    List<Long> tokens = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> contenders = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      contenders.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < 5; i++) {
                        JsonNode lock =
                            ok(
                                http.send(
                                    "POST",
                                    "/v1/locks/counter",
                                    "{\"ttlSeconds\":30,\"waitMs\":20000}"));
                        tokens.add(lock.get("fencingToken").asLong());
                        long value =
                            Long.parseLong(
                                ok(http.send("GET", "/v1/kv/default/keys/locked/counter", null))
                                    .get("kv")
                                    .get("value")
                                    .asText());
                        ok(
                            http.send(
                                "PUT",
                                "/v1/kv/default/keys/locked/counter",
                                "{\"value\":\"" + (value + 1) + "\"}"));
                        String key =
                            java.net.URLEncoder.encode(
                                    lock.get("key").asText(), StandardCharsets.UTF_8)
                                .replace("+", "%20");
                        ok(http.send("DELETE", "/v1/locks/counter/" + key, null));
                      }
                    } catch (Throwable e) {
                      failures.add(e);
                    }
                  }));
    }
    for (Thread contender : contenders) {
      contender.join(120_000);
    }
    assertEquals(List.of(), failures);
    assertEquals(
        "20",
        ok(http.send("GET", "/v1/kv/default/keys/locked/counter", null))
            .get("kv")
            .get("value")
            .asText());
    for (int i = 1; i < tokens.size(); i++) {
      assertTrue(tokens.get(i) > tokens.get(i - 1), "fencing tokens in grant order: " + tokens);
    }
  }

  @Test
  void apKeyspaceTakesAConsistencyPerRequestAndRefusesCpOnlyFeatures() throws Exception {
    assertEquals(
        201, http.send("PUT", "/v1/keyspaces/sessions-ap", "{\"mode\":\"ap\"}").statusCode());
    ok(
        http.send(
            "PUT",
            "/v1/kv/sessions-ap/keys/u1?consistency=all",
            "{\"value\":\"alive\",\"ttlSeconds\":60}"));
    assertEquals(
        "alive",
        ok(http.send("GET", "/v1/kv/sessions-ap/keys/u1?consistency=one", null))
            .get("kv")
            .get("value")
            .asText());
    assertEquals(
        1,
        ok(http.send("GET", "/v1/kv/sessions-ap/keys?prefix=u&consistency=quorum", null))
            .get("count")
            .asLong());
    assertError(
        http.send("GET", "/v1/kv/sessions-ap/keys/u1?consistency=most", null),
        400,
        "invalid_consistency");
    assertError(
        http.send("POST", "/v1/kv/sessions-ap/txn", "{\"success\":[{\"get\":{\"key\":\"u1\"}}]}"),
        400,
        "not_supported_in_ap_mode");
    ok(http.send("DELETE", "/v1/kv/sessions-ap/keys/u1?consistency=quorum", null));
    assertError(http.send("GET", "/v1/kv/sessions-ap/keys/u1", null), 404, "key_not_found");
  }

  @Test
  void apKeyspaceBadInputIsA4xxAndChangesNothing() throws Exception {
    assertEquals(
        201, http.send("PUT", "/v1/keyspaces/guarded-ap", "{\"mode\":\"ap\"}").statusCode());
    assertError(
        http.send("PUT", "/v1/keyspaces/other-ap", "{\"mode\":\"eventual\"}"),
        400,
        "unsupported_mode");
    String key = "/v1/kv/guarded-ap/keys/g";
    ok(http.send("PUT", key + "?consistency=all", "{\"value\":\"original\"}"));
    assertError(http.send("PUT", key, "{\"value\": 5}"), 400, "invalid_field");
    assertError(http.send("PUT", key, "{\"value\":"), 400, "malformed_json");
    assertError(http.send("PUT", key, "{\"value\":\"x\",\"ttlSeconds\":-1}"), 400, "invalid_ttl");
    assertError(
        http.send("PUT", key, "{\"value\":\"x\",\"ttlSeconds\":\"soon\"}"), 400, "invalid_field");
    assertError(
        http.send("PUT", key, "{\"value\":\"" + "x".repeat(70_000) + "\"}"),
        413,
        "value_too_large");
    assertError(
        http.send("PUT", "/v1/kv/guarded-ap/keys/" + "k".repeat(1100), "{\"value\":\"x\"}"),
        413,
        "key_too_large");
    assertError(
        http.send("PUT", key, "{\"value\":\"x\",\"lease\":7}"), 400, "not_supported_in_ap_mode");
    assertError(
        http.send("PUT", key + "?consistency=every", "{\"value\":\"x\"}"),
        400,
        "invalid_consistency");
    assertError(http.send("GET", key + "?revision=3", null), 400, "not_supported_in_ap_mode");
    assertError(http.send("DELETE", key + "?consistency=none", null), 400, "invalid_consistency");
    assertEquals(
        "original",
        ok(http.send("GET", key + "?consistency=all", null)).get("kv").get("value").asText());
    assertEquals(
        1,
        ok(http.send("GET", "/v1/kv/guarded-ap/keys?prefix=&consistency=all", null))
            .get("count")
            .asLong());
  }

  @Test
  void electionCampaignProclaimResign() throws Exception {
    JsonNode leader =
        ok(
            http.send(
                "POST",
                "/v1/elections/scheduler/campaign",
                "{\"value\":\"node-a\",\"ttlSeconds\":30,\"waitMs\":5000}"));
    assertEquals(
        "node-a", ok(http.send("GET", "/v1/elections/scheduler", null)).get("value").asText());
    String leadership =
        "{\"key\":\""
            + leader.get("key").asText()
            + "\",\"lease\":"
            + leader.get("lease").asLong()
            + ",\"term\":"
            + leader.get("term").asLong();
    ok(
        http.send(
            "POST", "/v1/elections/scheduler/proclaim", leadership + ",\"value\":\"node-a2\"}"));
    assertEquals(
        "node-a2", ok(http.send("GET", "/v1/elections/scheduler", null)).get("value").asText());
    ok(http.send("POST", "/v1/elections/scheduler/resign", leadership + "}"));
    assertError(http.send("GET", "/v1/elections/scheduler", null), 404, "no_leader");
  }

  @Test
  void aHolderWhoseLeaseExpiresLosesTheLockToTheWaiter() throws Exception {
    JsonNode abandoned =
        ok(http.send("POST", "/v1/locks/abandoned", "{\"ttlSeconds\":1,\"waitMs\":1000}"));
    JsonNode next =
        ok(http.send("POST", "/v1/locks/abandoned", "{\"ttlSeconds\":30,\"waitMs\":15000}"));
    assertTrue(next.get("fencingToken").asLong() > abandoned.get("fencingToken").asLong());
  }

  @Test
  void watchStreamsChangesAsServerSentEventsWithResumeTokens() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(http.base() + "/v1/kv/default/watch?prefix=w/")).build();
    HttpResponse<InputStream> stream =
        http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    assertTrue(
        stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    ok(http.send("PUT", "/v1/kv/default/keys/w/1", "{\"value\":\"a\"}"));
    ok(http.send("DELETE", "/v1/kv/default/keys/w/1", null));
    List<String> lines = readEvents(stream.body(), 2, Duration.ofSeconds(20));
    assertTrue(lines.contains("event:put"), lines.toString());
    assertTrue(lines.contains("event:delete"), lines.toString());
    assertTrue(
        lines.stream().anyMatch(l -> l.startsWith("id:") && l.length() > 10), lines.toString());
  }

  @Test
  void aWatchThatCannotBeEstablishedIsAnErrorResponseNotAStream() throws Exception {
    assertError(http.send("GET", "/v1/kv/nosuch/watch?prefix=a/", null), 404, "keyspace_not_found");
  }

  /**
   * The lines of the server-sent event stream up to its {@code events}-th {@code id:} line. A
   * reader thread does the blocking reads; this thread waits for them with a deadline and fails
   * when it passes, closing the stream, which ends the reader.
   */
  private static List<String> readEvents(InputStream body, int events, Duration deadline)
      throws Exception {
    // Lines as they arrive; empty when the stream ended.
    java.util.concurrent.BlockingQueue<java.util.Optional<String>> received =
        new java.util.concurrent.LinkedBlockingQueue<>();
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (BufferedReader in =
                      new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                      received.add(java.util.Optional.of(line));
                    }
                  } catch (java.io.IOException closed) {
                    // closed below after the deadline or the last event
                  }
                  received.add(java.util.Optional.empty());
                });
    List<String> lines = new ArrayList<>();
    long until = System.nanoTime() + deadline.toNanos();
    try {
      int seen = 0;
      while (seen < events) {
        java.util.Optional<String> next =
            received.poll(
                Math.max(0, until - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
        if (next == null) {
          throw new AssertionError("no " + events + " events within " + deadline + ": " + lines);
        }
        String line = next.orElseThrow(() -> new AssertionError("the stream ended after " + lines));
        lines.add(line);
        if (line.startsWith("id:")) {
          seen++;
        }
      }
      return lines;
    } finally {
      body.close();
      reader.join(Duration.ofSeconds(5));
    }
  }
}
