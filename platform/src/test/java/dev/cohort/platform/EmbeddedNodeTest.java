package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The embedded API: a node inside the test's JVM, closed and started again on its data. */
@Tag("integration")
class EmbeddedNodeTest {

  private static CohortConfig config(Path data) {
    return CohortConfig.builder()
        .dataDir(data)
        .httpPort(0)
        .etcdPort(0)
        .kafkaPort(0)
        .remotePort(0)
        .override("pekko.actor.serialize-messages", "on")
        .build();
  }

  @Test
  void embeddedNodeWritesDurablyAndAnswersReadiness() throws Exception {
    Path data = Files.createTempDirectory("cohort-embedded");
    try (CohortNode node = Cohort.start(config(data))) {
      awaitReady(node);
      assertEquals(3L, node.counters().increment("hits", 3).toCompletableFuture().get());
      assertEquals(7L, node.counters().increment("hits", 4).toCompletableFuture().get());
    }
    try (CohortNode node = Cohort.start(config(data))) {
      assertEquals(7L, node.counters().get("hits").toCompletableFuture().get());
    }
  }

  private static void awaitReady(CohortNode node) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/health/ready");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int status = 0;
    while (status != 200 && System.nanoTime() < deadline) {
      status =
          client
              .send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
              .statusCode();
      if (status != 200) {
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    }
    assertEquals(200, status);
  }
}
