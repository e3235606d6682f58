package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A route that outlives Pekko's request timeout is answered 504 in the one error shape. */
class RequestTimeoutTest extends AllDirectives {
  private static TestGateway gateway;

  @BeforeAll
  static void bind() throws Exception {
    gateway =
        TestGateway.start(
            "pekko.http.server.request-timeout = 1s",
            Endpoints.route(
                List.of(
                    Endpoint.get(
                        "/never",
                        Guard.open("test"),
                        p ->
                            new RequestTimeoutTest()
                                .onSuccess(new CompletableFuture<String>(), v -> null)))));
  }

  @AfterAll
  static void shutdown() {
    gateway.close();
  }

  @Test
  void theRequestTimeoutIsA504TimeoutError() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(gateway.base() + "/never"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(504, response.statusCode(), response.body());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonNode error = Json.MAPPER.readTree(response.body()).get("error");
    assertEquals(GatewayError.TIMEOUT.code(), error.get("code").asText(), response.body());
  }
}
