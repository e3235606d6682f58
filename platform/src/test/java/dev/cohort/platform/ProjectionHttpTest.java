package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cohort.log.ProducerRecord;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Projections through the HTTP gateway: create, status, rebuild, delete, and bad input. */
@Tag("integration")
class ProjectionHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-projection-http").build());
    http = new HttpTestClient(node);
    node.log().createTopic("orders", 2, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<ProducerRecord> records = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      records.add(
          ProducerRecord.of(
              "orders", "order-" + i, "{\"user_id\":\"u" + (i % 3) + "\",\"amount\":" + i + "}"));
    }
    node.log().send("orders", records).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void badInputIs400AndStoresNothing() throws Exception {
    String[][] cases = {
      {
        "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"v\"},\"mode\":\"median\"}",
        "invalid_projection"
      },
      {
        "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"v\"},\"mode\":\"sum\"}",
        "invalid_projection"
      },
      {
        "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"v\"},\"mode\":\"count\","
            + "\"keyFrom\":\"header:x\"}",
        "invalid_projection"
      },
      {
        "{\"source\":{\"topic\":\"nope\"},\"sink\":{\"keyspace\":\"v\"},\"mode\":\"count\"}",
        "unknown_topic"
      },
      {
        "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"UPPER\"},\"mode\":\"count\"}",
        "invalid_keyspace_name"
      },
      {"not json", "invalid_projection"},
    };
    for (String[] c : cases) {
      assertError(http.send("PUT", "/v1/projections/bad", c[0]), 400, c[1]);
    }
    assertError(http.send("GET", "/v1/projections/bad", null), 404, "projection_not_found");
    assertError(
        http.send("POST", "/v1/projections/bad/rebuild", null), 404, "projection_not_found");
    for (JsonNode p : ok(http.send("GET", "/v1/projections", null)).get("projections")) {
      assertTrue(!p.get("name").asText().equals("bad"), p.toString());
    }
    assertError(http.send("GET", "/v1/keyspaces/v", null), 404, "keyspace_not_found");
  }

  @Test
  void createGetRebuildDelete() throws Exception {
    String body =
        "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"amounts\"},"
            + "\"mode\":\"sum\",\"field\":\"amount\",\"keyFrom\":\"field:user_id\"}";
    HttpResponse<String> created = http.send("PUT", "/v1/projections/amounts", body);
    assertEquals(201, created.statusCode(), created.body());
    assertEquals(200, http.send("PUT", "/v1/projections/amounts", body).statusCode());
    JsonNode status = awaitCaughtUp("amounts");
    assertEquals("sum", status.get("mode").asText());
    assertEquals(2, status.get("partitions").size());
    // u0: 0+3+…+48, u1: 1+4+…+49, u2: 2+5+…+47
    Map<String, String> expected = Map.of("u0", "408", "u1", "425", "u2", "392");
    expected.forEach(
        (user, sum) ->
            assertEquals(
                sum,
                node.kv().get("amounts", user).toCompletableFuture().join().kv().valueUtf8(),
                user));

    JsonNode rebuilding = ok(http.send("POST", "/v1/projections/amounts/rebuild", null));
    assertEquals("REBUILDING", rebuilding.get("state").asText());
    assertEquals(status.get("generation").asLong() + 1, rebuilding.get("generation").asLong());
    awaitCaughtUp("amounts");
    expected.forEach(
        (user, sum) ->
            assertEquals(
                sum,
                node.kv().get("amounts", user).toCompletableFuture().join().kv().valueUtf8(),
                user));

    assertEquals(
        "amounts",
        ok(http.send("GET", "/v1/projections", null))
            .get("projections")
            .get(0)
            .get("name")
            .asText());
    ok(http.send("DELETE", "/v1/projections/amounts", null));
    assertError(http.send("GET", "/v1/projections/amounts", null), 404, "projection_not_found");
  }

  private static JsonNode awaitCaughtUp(String name) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    JsonNode status = null;
    while (System.nanoTime() < deadline) {
      status = ok(http.send("GET", "/v1/projections/" + name, null));
      boolean reported = true;
      for (JsonNode p : status.get("partitions")) {
        reported &= p.get("position").asLong() >= 0;
      }
      if (status.get("state").asText().equals("RUNNING")
          && status.get("lag").asLong() == 0
          && status.get("partitions").size() == 2
          && reported) {
        return status;
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    throw new AssertionError("projection " + name + " did not catch up: " + status);
  }
}
