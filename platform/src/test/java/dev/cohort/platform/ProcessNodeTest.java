package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Real node processes started through {@code ./cohort run}, stopped by signals. */
@Tag("fault")
class ProcessNodeTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(60);

  @Test
  void nodeServesStateSurvivesSigtermAndRestartsOnTheSameData() throws Exception {
    Path data = Files.createTempDirectory("cohort-process");
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    try (NodeProcess node = NodeProcess.start(data, http, remote)) {
      node.awaitReady(READY);
      JsonNode cluster = json.readTree(node.get("/v1/cluster").body());
      assertEquals(1, cluster.get("members").size());
      assertEquals("Up", cluster.get("members").get(0).get("status").asText());
      assertEquals("pekko://cohort@127.0.0.1:" + remote, cluster.get("self").asText());

      String metrics = node.get("/metrics").body();
      assertTrue(metrics.contains("\njvm_memory_used_bytes{"), "no jvm_ series");
      assertTrue(metrics.contains("\ncohort_cluster_members{status=\"Up\"} 1.0"), metrics);
      assertTrue(metrics.contains("\ncohort_build_info{"));

      assertEquals(200, node.post("/v1/counters/orders", "{\"delta\":40}").statusCode());
      var second = node.post("/v1/counters/orders", "{\"delta\":2}");
      assertEquals(42, json.readTree(second.body()).get("value").asLong());

      assertEquals(0, node.terminate(Duration.ofSeconds(30)), node.logText());
      assertTrue(node.logText().contains("gateway: http://127.0.0.1:" + http));
    }
    try (NodeProcess again = NodeProcess.start(data, http, remote)) {
      again.awaitReady(READY);
      var read = again.get("/v1/counters/orders");
      assertEquals(42, json.readTree(read.body()).get("value").asLong(), read.body());
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  /** Counters spread over both nodes exactly as the consistent-hash ring of the two places them. */
  private static void assertShardsPlacedByTheRing(NodeProcess first, NodeProcess second)
      throws Exception {
    for (int i = 0; i < 30; i++) {
      assertEquals(200, first.post("/v1/counters/ring-" + i, "{\"delta\":1}").statusCode());
    }
    JsonNode counterType = null;
    for (JsonNode type :
        json.readTree(second.get("/v1/cluster/shards").body()).get("entityTypes")) {
      if (type.get("name").asText().equals("Counter")) {
        counterType = type;
      }
    }
    assertTrue(counterType != null, "no Counter entity type in /v1/cluster/shards");
    java.util.List<String> members = new java.util.ArrayList<>();
    counterType.get("nodes").forEach(n -> members.add(n.get("address").asText()));
    assertEquals(2, members.size(), counterType.toString());
    dev.cohort.sharding.ConsistentHashRing ring =
        new dev.cohort.sharding.ConsistentHashRing(members, 150);
    int shards = 0;
    for (JsonNode node : counterType.get("nodes")) {
      for (JsonNode shard : node.get("shards")) {
        assertEquals(ring.nodeFor(shard.asText()), node.get("address").asText(), "shard " + shard);
        shards++;
      }
    }
    assertTrue(shards >= 10, counterType.toString());
  }

  @Test
  void secondNodeJoinsThroughSeedAndBothSeeTwoUpMembers() throws Exception {
    int seedRemote = NodeProcess.freePort();
    // A cluster of two keeps its events in the shared PostgreSQL journal, as the README says.
    try (NodeProcess first = NodeProcess.startClusterNode("cohort-seed", seedRemote, seedRemote);
        NodeProcess second =
            NodeProcess.startClusterNode("cohort-joiner", NodeProcess.freePort(), seedRemote)) {
      first.awaitReady(READY);
      second.awaitReady(READY);
      for (NodeProcess node : new NodeProcess[] {first, second}) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long up = 0;
        while (up < 2 && System.nanoTime() < deadline) {
          JsonNode members = json.readTree(node.get("/v1/cluster").body()).get("members");
          up = 0;
          for (JsonNode member : members) {
            up += member.get("status").asText().equals("Up") ? 1 : 0;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(100_000_000);
        }
        assertEquals(2, up, "Up members seen by the node on port " + node.httpPort);
      }
      assertShardsPlacedByTheRing(first, second);
      assertEquals(0, second.terminate(Duration.ofSeconds(30)), second.logText());
      assertEquals(0, first.terminate(Duration.ofSeconds(30)), first.logText());
    }
  }
}
