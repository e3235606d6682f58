package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cohort.observability.Metrics;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every kind of failure reaches the client as the one JSON error shape with the right status. */
class ErrorMappingTest extends AllDirectives {
  private static final HttpClient client = HttpClient.newHttpClient();
  private static TestGateway gateway;
  private static String base;

  @BeforeAll
  static void bind() throws Exception {
    gateway =
        TestGateway.start(
            "cohort.gateway.max-body-bytes = 1KiB", new ErrorMappingTest().testRoutes());
    base = gateway.base();
  }

  @AfterAll
  static void shutdown() {
    gateway.close();
  }

  private static final Guard OPEN = Guard.open("error mapping only");

  private Route testRoutes() {
    return Endpoints.route(
        List.of(
            Endpoint.get("/test/{id}", OPEN, p -> failWith(p.get("id"))),
            Endpoint.post(
                "/test/{id}",
                OPEN,
                p -> entity(Unmarshaller.entityToString(), body -> echo(Json.parseObject(body)))),
            Endpoint.put(
                "/test/special",
                OPEN,
                p -> complete(Json.ok(Json.object().put("special", true))))));
  }

  private Route failWith(String id) {
    return switch (id) {
      case "invalid" -> throw new CohortException(ErrorKind.INVALID, "bad_thing", "thing is bad");
      case "async-missing" ->
          onSuccess(
              CompletableFuture.<String>failedFuture(
                  new CohortException(ErrorKind.NOT_FOUND, "key_not_found", "no key 'k'")),
              value -> complete(value));
      case "boom" -> throw new IllegalStateException("internal detail");
      default -> complete(Json.ok(Json.object().put("id", id)));
    };
  }

  private Route echo(JsonNode body) {
    return complete(Json.ok(Json.object().put("n", Json.optionalLong(body, "n").orElse(-1L))));
  }

  private static HttpResponse<String> send(String method, String path, String body)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> response, int status, String code)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonNode error = Json.MAPPER.readTree(response.body()).get("error");
    assertEquals(code, error.get("code").asText(), response.body());
    assertTrue(!error.get("message").asText().isBlank());
  }

  /** Sends {@code request} as raw bytes (no client would send it) and reads status and body. */
  private static String[] raw(String request) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String answer =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      String[] headAndBody = answer.split("\r\n\r\n", 2);
      return new String[] {headAndBody[0], headAndBody.length > 1 ? headAndBody[1] : ""};
    }
  }

  private static void assertRawError(String[] answer, int status, String code) throws Exception {
    assertTrue(answer[0].startsWith("HTTP/1.1 " + status + " "), answer[0]);
    assertTrue(answer[0].contains("Content-Type: application/json"), answer[0]);
    JsonNode error = Json.MAPPER.readTree(answer[1]).get("error");
    assertEquals(code, error.get("code").asText(), answer[1]);
    assertTrue(!error.get("message").asText().isBlank());
  }

  @Test
  void requestsPekkoCannotParseGetTheJsonErrorShape() throws Exception {
    String close = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assertRawError(raw("GET /test/x?a=%zz" + close), 400, "malformed_request");
    assertRawError(raw("GET /test/x/\u00ff" + close), 400, "malformed_request");
    assertRawError(raw("GET /test/" + "x".repeat(3_000) + close), 414, "malformed_request");
    assertRawError(
        raw("GET /test/x HTTP/1.1\r\nHost: x\r\nX-Big: " + "v".repeat(10_000) + "\r\n\r\n"),
        431,
        "malformed_request");
    assertRawError(
        raw("POST /test/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
        400,
        "malformed_request");
    assertRawError(
        raw("GET /test/x HTTP/1.1\r\nConnection: close\r\n\r\n"), 400, "malformed_request");
  }

  @Test
  void unknownRouteIsAJson404NamingThePath() throws Exception {
    var response = send("GET", "/nowhere/at-all", null);
    assertError(response, 404, "not_found");
    assertTrue(response.body().contains("/nowhere/at-all"));
  }

  @Test
  void businessErrorsMapByKind() throws Exception {
    assertError(send("GET", "/test/invalid", null), 400, "bad_thing");
    assertError(send("GET", "/test/async-missing", null), 404, "key_not_found");
  }

  @Test
  void malformedJsonNamesThePosition() throws Exception {
    var response = send("POST", "/test/x", "{\"n\": 1,,}");
    assertError(response, 400, "malformed_json");
    assertTrue(response.body().contains("column"), response.body());
  }

  @Test
  void wrongJsonTypeNamesTheField() throws Exception {
    var response = send("POST", "/test/x", "{\"n\": \"seven\"}");
    assertError(response, 400, "invalid_field");
    assertTrue(response.body().contains("'n'"), response.body());
    assertEquals(200, send("POST", "/test/x", "{\"n\": 7}").statusCode());
  }

  @Test
  void oversizedBodyIs413() throws Exception {
    assertError(
        send("POST", "/test/x", "{\"pad\":\"" + "x".repeat(2048) + "\"}"), 413, "body_too_large");
  }

  @Test
  void wrongMethodIs405() throws Exception {
    var response = send("DELETE", "/test/x", null);
    assertError(response, 405, "method_not_allowed");
    assertEquals("GET, POST", response.headers().firstValue("Allow").orElse(""), response.body());
  }

  @Test
  void aLaterTemplateWithTheRequestsMethodWinsOverAnEarlierOneWithout() throws Exception {
    var put = send("PUT", "/test/special", null);
    assertEquals(200, put.statusCode(), put.body());
    assertTrue(put.body().contains("special"), put.body());
    assertEquals(200, send("GET", "/test/special", null).statusCode());
    var delete = send("DELETE", "/test/special", null);
    assertError(delete, 405, "method_not_allowed");
    assertEquals("GET, POST, PUT", delete.headers().firstValue("Allow").orElse(""));
  }

  @Test
  void unexpectedFailureIs500WithoutInternals() throws Exception {
    var response = send("GET", "/test/boom", null);
    assertError(response, 500, "internal_error");
    assertTrue(!response.body().contains("internal detail"));
  }

  @Test
  void requestsAreCountedByRouteTemplateAndStatus() throws Exception {
    send("GET", "/test/invalid", null);
    String scrape = Metrics.get(gateway.system()).scrape();
    assertTrue(
        scrape.contains(
            "cohort_http_requests_total{method=\"GET\",route=\"/test/{id}\",status=\"400\"}"),
        scrape);
    assertTrue(scrape.contains("cohort_http_request_seconds_bucket{route=\"/test/{id}\""));
    send("PUT", "/test/other", null);
    assertTrue(
        Metrics.get(gateway.system())
            .scrape()
            .contains(
                "cohort_http_requests_total{method=\"PUT\",route=\"/test/{id}\",status=\"405\"}"));
  }
}
