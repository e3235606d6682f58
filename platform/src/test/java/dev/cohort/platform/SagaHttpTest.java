package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Sagas through the HTTP gateway, with a participant service on a real port. */
@Tag("integration")
class SagaHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;
  private static HttpServer participant;
  private static final List<String> calls = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    participant = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    participant.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          calls.add(path + " " + exchange.getRequestHeaders().getFirst("Idempotency-Key"));
          int status = path.equals("/pay") ? 402 : 200;
          byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    participant.start();
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-saga-http").build());
    http = new HttpTestClient(node);
    ok(http.send("PUT", "/v1/keyspaces/orders", "{\"mode\":\"cp\",\"partitions\":4}"));
  }

  @AfterAll
  static void stop() {
    node.close();
    participant.stop(0);
  }

  private static String definition(String payPath) {
    return """
        {"steps":[
          {"name":"create_order",
           "action":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"created"}},
           "compensation":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"cancelled"}}},
          {"name":"process_payment",
           "action":{"http":{"method":"POST","url":"http://127.0.0.1:%d%s","body":{"amount":"${input.amount}"},"successStatus":[200,201]}},
           "compensation":{"http":{"method":"POST","url":"http://127.0.0.1:%d/refund","body":{"sagaId":"${sagaId}"}}},
           "retry":{"maxAttempts":3,"initialBackoffMs":100,"maxBackoffMs":2000,"multiplier":2.0},
           "timeoutMs":2000}
        ]}
        """
        .formatted(participant.getAddress().getPort(), payPath, participant.getAddress().getPort());
  }

  private static JsonNode awaitState(String id, String state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode instance = ok(http.send("GET", "/v1/sagas/instances/" + id, null));
    while (!instance.get("state").asText().equals(state) && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      instance = ok(http.send("GET", "/v1/sagas/instances/" + id, null));
    }
    assertEquals(state, instance.get("state").asText(), instance.toString());
    return instance;
  }

  @Test
  void theIssuesExampleRunsAndStartingTwiceRunsOnce() throws Exception {
    ok(http.send("PUT", "/v1/sagas/definitions/checkout", definition("/charge")));
    var first =
        http.send(
            "POST",
            "/v1/sagas/checkout/instances",
            "{\"id\":\"order-1\",\"input\":{\"amount\":\"42\"}}");
    assertEquals(201, first.statusCode(), first.body());
    awaitState("order-1", "COMPLETED");
    var again =
        http.send(
            "POST",
            "/v1/sagas/checkout/instances",
            "{\"id\":\"order-1\",\"input\":{\"amount\":\"42\"}}");
    assertEquals(200, again.statusCode(), again.body());
    assertEquals(1, calls.stream().filter(c -> c.startsWith("/charge")).count(), calls.toString());
    assertEquals(
        "created",
        ok(http.send("GET", "/v1/kv/orders/keys/order-1", null)).get("kv").get("value").asText());
  }

  @Test
  void aFailedPaymentCompensatesTheOrder() throws Exception {
    ok(http.send("PUT", "/v1/sagas/definitions/declined", definition("/pay")));
    ok(
        http.send(
            "POST",
            "/v1/sagas/declined/instances",
            "{\"id\":\"order-2\",\"input\":{\"amount\":\"7\"}}"));
    JsonNode instance = awaitState("order-2", "COMPENSATED");
    assertEquals(
        "cancelled",
        ok(http.send("GET", "/v1/kv/orders/keys/order-2", null)).get("kv").get("value").asText());
    assertTrue(
        calls.stream().noneMatch(c -> c.startsWith("/refund") && c.contains("order-2")),
        calls.toString());
    assertTrue(instance.get("steps").size() >= 2);
  }

  @Test
  void badDefinitionsAndUnknownOnesAreRefused() throws Exception {
    assertError(
        http.send(
            "PUT",
            "/v1/sagas/definitions/bad",
            "{\"steps\":[{\"name\":\"a\",\"action\":{\"ftp\":{}}}]}"),
        400,
        "invalid_definition");
    assertError(
        http.send(
            "PUT",
            "/v1/sagas/definitions/bad",
            "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"POST\",\"url\":\"not a url\"}}}]}"),
        400,
        "invalid_definition");
    assertError(http.send("GET", "/v1/sagas/definitions/bad", null), 404, "definition_not_found");
    assertError(
        http.send("POST", "/v1/sagas/nope/instances", "{\"input\":{}}"),
        404,
        "definition_not_found");
  }
}
