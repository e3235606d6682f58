package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Safe by default: two nodes started as the README's quick start shows ({@code ./cohort run}, then
 * {@code ./cohort run --seed …} with its own data directory) keep their events in node-local file
 * journals, so entities that moved between them would come back empty. The second node is refused;
 * so is a node on the shared PostgreSQL journal that tries to join the file-journal node. The first
 * node keeps every key and record it acknowledged, and stays a cluster of one.
 */
@Tag("integration")
class LocalJournalClusterRefusalTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(90);
  private static final Duration REFUSED = Duration.ofSeconds(90);

  @Test
  void aSecondNodeIsRefusedWhileEventsLiveInNodeLocalJournals() throws Exception {
    Path root = Files.createTempDirectory("cohort-local-journal-cluster");
    int firstRemote = NodeProcess.freePort();
    try (NodeProcess first =
        NodeProcess.start(root.resolve("first"), NodeProcess.freePort(), firstRemote)) {
      first.awaitReady(READY);
      assertEquals(
          201,
          first.put("/v1/keyspaces/orders", "{\"mode\":\"cp\",\"partitions\":16}").statusCode());
      for (int i = 0; i < 64; i++) {
        assertEquals(
            200, first.put("/v1/kv/orders/keys/o/" + i, "{\"value\":\"v" + i + "\"}").statusCode());
      }
      assertEquals(
          201, first.post("/v1/topics", "{\"name\":\"events\",\"partitions\":4}").statusCode());
      for (int i = 0; i < 40; i++) {
        assertEquals(
            200,
            first
                .post(
                    "/v1/topics/events/records",
                    "{\"acks\":\"all\",\"records\":[{\"key\":\"k"
                        + i
                        + "\",\"value\":\"r"
                        + i
                        + "\"}]}")
                .statusCode());
      }

      String seed = "127.0.0.1:" + firstRemote;
      try (NodeProcess second =
          NodeProcess.start(
              root.resolve("second"),
              NodeProcess.freePort(),
              NodeProcess.freePort(),
              "--seed",
              seed)) {
        assertNotEquals(0, second.awaitExit(REFUSED), "a second file-journal node must not start");
        String log = second.logText();
        assertTrue(log.contains("cohort.persistence.journal is \"file\""), log);
        assertTrue(log.contains("conf/cluster-node.conf"), log);
        assertTrue(log.contains("postgresql"), log);
      }

      Path clusterConf = NodeProcess.repositoryRoot().resolve("conf/cluster-node.conf");
      try (NodeProcess onPostgres =
          NodeProcess.start(
              root.resolve("third"),
              NodeProcess.freePort(),
              NodeProcess.freePort(),
              "--config",
              clusterConf.toString(),
              "--seed",
              seed)) {
        assertEquals(
            1,
            onPostgres.awaitExit(REFUSED),
            "a PostgreSQL node must not join a file-journal node");
        String log = onPostgres.logText();
        assertTrue(log.contains("the cluster refused this node's configuration"), log);
        assertTrue(log.contains("conf/cluster-node.conf"), log);
      }
      String firstLog = first.logText();
      assertTrue(firstLog.contains("refusing to form a cluster with a node"), firstLog);
      assertTrue(firstLog.contains("the node-local \"file\" journal"), firstLog);

      JsonNode cluster = json.readTree(first.get("/v1/cluster").body());
      assertEquals(1, cluster.get("members").size(), cluster.toString());
      for (int i = 0; i < 64; i++) {
        JsonNode kv = json.readTree(first.get("/v1/kv/orders/keys/o/" + i).body()).path("kv");
        assertEquals("v" + i, kv.path("value").asText(), "o/" + i);
      }
      long records = 0;
      for (int p = 0; p < 4; p++) {
        records +=
            json.readTree(
                    first
                        .get(
                            "/v1/topics/events/partitions/"
                                + p
                                + "/records?offset=0&maxRecords=100&maxWaitMs=0")
                        .body())
                .get("records")
                .size();
      }
      assertEquals(40, records);
    }
  }
}
