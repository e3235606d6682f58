package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus (Debian's package, on a free port) scrapes a two-node cluster of real node
 * processes with the shipped alert rules; when one node is killed with SIGKILL, the CohortNodeDown
 * alert for exactly that node becomes firing in Prometheus' HTTP API, and none fires before. (The
 * survivor of a two-node cluster may down itself under keep-majority; that is not asserted here.)
 */
@Tag("fault")
class PrometheusNodeDownAlertTest {
  private static final Duration READY = Duration.ofSeconds(120);
  private static final ObjectMapper json = new ObjectMapper();
  private static final HttpClient client = HttpClient.newHttpClient();

  @Test
  void killedNodeRaisesNodeDownInPrometheus() throws Exception {
    Path root = NodeProcess.repositoryRoot();
    int seedRemote = NodeProcess.freePort();
    try (NodeProcess first = NodeProcess.startClusterNode("cohort-prom-a", seedRemote, seedRemote);
        NodeProcess second =
            NodeProcess.startClusterNode("cohort-prom-b", NodeProcess.freePort(), seedRemote)) {
      first.awaitReady(READY);
      second.awaitReady(READY);
      String firstTarget = "127.0.0.1:" + first.httpPort;
      String secondTarget = "127.0.0.1:" + second.httpPort;
      Path dir = Files.createTempDirectory("cohort-prometheus");
      Files.writeString(
          dir.resolve("prometheus.yml"),
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          rule_files:
            - %s
          scrape_configs:
            - job_name: cohort
              metrics_path: /metrics
              static_configs:
                - targets: ["%s", "%s"]
          """
              .formatted(root.resolve("conf/prometheus/alerts.yml"), firstTarget, secondTarget));
      int port = NodeProcess.freePort();
      Process prometheus =
          new ProcessBuilder(
                  "prometheus",
                  "--config.file=" + dir.resolve("prometheus.yml"),
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      String api = "http://127.0.0.1:" + port;
      try {
        await(
            api + "/api/v1/query?query=" + encode("sum(up{job=\"cohort\"})"),
            body ->
                body.path("data").path("result").path(0).path("value").path(1).asText().equals("2"),
            "both nodes scraped as up",
            dir);
        assertEquals(0, firingNodeDown(api).size(), "no node-down alert while both run");

        second.kill();

        JsonNode alerts =
            await(
                api + "/api/v1/alerts",
                body -> !firingNodeDown(body).isEmpty(),
                "CohortNodeDown firing",
                dir);
        var firing = firingNodeDown(alerts);
        assertEquals(java.util.List.of(secondTarget), firing, alerts.toString());
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static java.util.List<String> firingNodeDown(String api) throws Exception {
    return firingNodeDown(get(api + "/api/v1/alerts"));
  }

  /** Instances with a firing CohortNodeDown alert in an /api/v1/alerts answer. */
  private static java.util.List<String> firingNodeDown(JsonNode body) {
    java.util.List<String> instances = new java.util.ArrayList<>();
    for (JsonNode alert : body.path("data").path("alerts")) {
      if (alert.path("labels").path("alertname").asText().equals("CohortNodeDown")
          && alert.path("state").asText().equals("firing")) {
        instances.add(alert.path("labels").path("instance").asText());
      }
    }
    return instances;
  }

  private static JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    return json.readTree(response.body());
  }

  /** Polls {@code url} until its JSON answer satisfies {@code done}; fails with Prometheus' log. */
  private static JsonNode await(String url, Predicate<JsonNode> done, String what, Path dir)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = get(url);
        if (done.test(last)) {
          return last;
        }
      } catch (IOException notListeningYet) {
        // Prometheus is still starting: poll again
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
    throw new AssertionError(
        "no "
            + what
            + " within 120 s; last answer "
            + last
            + "\n"
            + Files.readString(dir.resolve("prometheus.log")));
  }

  private static String encode(String query) {
    return java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8);
  }
}
