package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** JSON over HTTP against one node's gateway, with the assertions the HTTP tests share. */
final class HttpTestClient {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newHttpClient();
  private final String base;

  /**
   * An embedded node's configuration for the HTTP tests: a fresh data directory named after the
   * test, the gateway and remoting on free ports, the etcd listener off (many nodes run at once;
   * none may take etcd's port 2379).
   */
  static CohortConfig.Builder embeddedNode(String dataDirPrefix) throws java.io.IOException {
    return CohortConfig.builder()
        .dataDir(java.nio.file.Files.createTempDirectory(dataDirPrefix))
        .httpPort(0)
        .etcdPort(0)
        .kafkaPort(0)
        .remotePort(0);
  }

  HttpTestClient(CohortNode node) {
    this.base = "http://127.0.0.1:" + node.httpAddress().getPort();
  }

  String base() {
    return base;
  }

  HttpClient client() {
    return client;
  }

  HttpResponse<String> send(String method, String path, String body) throws Exception {
    return send(method, path, body, null);
  }

  /** A request carrying {@code Authorization: Bearer token} when {@code token} is not null. */
  HttpResponse<String> send(String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(
        request
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a 2xx answer; fails with the status and body otherwise. */
  static JsonNode ok(HttpResponse<String> response) throws Exception {
    assertTrue(response.statusCode() / 100 == 2, response.statusCode() + " " + response.body());
    return JSON.readTree(response.body());
  }

  /** The answer is the one error shape with this status and code. */
  static void assertError(HttpResponse<String> response, int status, String code) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals(
        code, JSON.readTree(response.body()).path("error").path("code").asText(), response.body());
  }
}
