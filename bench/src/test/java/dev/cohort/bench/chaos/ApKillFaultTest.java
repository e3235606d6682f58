package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AP consistency levels on three real node processes (RF=3) with one of them SIGKILLed: {@code
 * quorum} writes and reads succeed, {@code all} answers 503 {@code consistency_unavailable} with
 * the required and alive counts, {@code one} succeeds. The survivors keep the writes for the dead
 * replica as hints; after it restarts on its data directory they are replayed, and a read at {@code
 * all} — and a read at {@code one} through the restarted node, which reads its own store first —
 * returns every write acknowledged while it was down.
 */
@Tag("fault")
class ApKillFaultTest {
  static final String KEYSPACE = "ap_fault";

  static Path root() {
    Path root = Path.of("").toAbsolutePath().getParent();
    assertTrue(
        Files.isExecutable(root.resolve("cohort")), "the ./cohort launcher is not at " + root);
    return root;
  }

  static Gateways gateways(ChaosCluster cluster) {
    return new Gateways(
        cluster.gateways(),
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(),
        Duration.ofSeconds(10));
  }

  static Reply put(Gateways g, URI node, String key, String value, String consistency) {
    return ChaosHttp.put(
        g,
        node,
        KvCalls.keyPath(KEYSPACE, key) + "?consistency=" + consistency,
        ChaosHttp.object().put("value", value));
  }

  static Reply get(Gateways g, URI node, String key, String consistency) {
    return ChaosHttp.get(g, node, KvCalls.keyPath(KEYSPACE, key) + "?consistency=" + consistency);
  }

  static void createKeyspace(Gateways g) throws InterruptedException {
    Reply created =
        SetUp.until(
            "create " + KEYSPACE,
            SetUp.DEADLINE,
            () ->
                ChaosHttp.put(
                    g,
                    g.nodes().getFirst(),
                    "/v1/keyspaces/" + KEYSPACE,
                    ChaosHttp.object().put("mode", "ap").put("replicationFactor", 3)),
            Reply::ok);
    assertEquals(3, created.body().path("replicationFactor").asInt(), created.describe());
  }

  /**
   * Waits until every node names all three nodes as a key's read replicas: each node's join stream
   * has completed in every node's view. A node still joining is a pending replica, which a write
   * counts only with one acknowledgement more, so a fault injected before then tests the join, not
   * the steady ring.
   */
  static void awaitEveryReplicaReady(Gateways g, ChaosCluster cluster) throws Exception {
    for (URI node : g.nodes()) {
      ChaosCluster.awaitUntil(
          SetUp.DEADLINE,
          "all three replicas ready in the view of " + node,
          () -> {
            Reply where =
                ChaosHttp.get(g, node, "/v1/kv/" + KEYSPACE + "/endpoints?key=ready-probe");
            return where.ok() && where.body().path("endpoints").size() == 3;
          },
          cluster);
    }
  }

  @Test
  void quorumAndOneSurviveAKilledReplicaAndHintsCatchItUp() throws Exception {
    Path work = Files.createTempDirectory("cohort-ap-kill");
    try (ChaosCluster cluster = ChaosCluster.start(root(), work, 3, false)) {
      Gateways g = gateways(cluster);
      createKeyspace(g);
      awaitEveryReplicaReady(g, cluster);
      List<URI> nodes = g.nodes();
      // Through every node: each caches the keyspace's registry entry (a CP entity, whose shard
      // may be on the node about to be killed; see kv/README-ap.md, limits).
      for (int i = 0; i < 9; i++) {
        URI node = nodes.get(i % 3);
        Reply r =
            SetUp.until(
                "put at all",
                SetUp.DEADLINE,
                () -> put(g, node, "before/" + System.nanoTime(), "x", "all"),
                Reply::ok);
        assertTrue(r.ok());
      }

      ChaosNode victim = cluster.nodes().get(2);
      victim.kill();
      // Until the survivors' failure detectors mark it unreachable, an `all` write times out
      // (also 503 consistency_unavailable); afterwards it is refused at once.
      Reply all =
          SetUp.until(
              "all refused",
              SetUp.DEADLINE,
              () -> put(g, nodes.get(0), "all-write", "a", "all"),
              r ->
                  r.status() == 503
                      && r.body().path("error").path("message").asText().contains("alive=2"));
      assertEquals("consistency_unavailable", all.code(), all.describe());
      assertTrue(
          all.body().path("error").path("message").asText().contains("required=3"), all.describe());

      Map<String, String> acked = new LinkedHashMap<>();
      for (int i = 0; i < 30; i++) {
        String key = "down/" + i;
        Reply r = put(g, nodes.get(i % 2), key, "v" + i, "quorum");
        assertTrue(r.ok(), "quorum write with one replica down: " + r.describe());
        acked.put(key, "v" + i);
      }
      Reply one = put(g, nodes.get(1), "down/one", "o", "one");
      assertTrue(one.ok(), one.describe());
      acked.put("down/one", "o");
      for (String key : acked.keySet()) {
        Reply r = get(g, nodes.get(0), key, "quorum");
        assertTrue(r.ok(), key + ": " + r.describe());
        assertEquals(acked.get(key), r.body().path("kv").path("value").asText());
      }
      assertEquals("consistency_unavailable", get(g, nodes.get(1), "down/0", "all").code());

      cluster.startNode(victim);
      cluster.awaitHealthy(ChaosCluster.START);
      URI back = victim.gateway();
      for (Map.Entry<String, String> e : acked.entrySet()) {
        Reply r =
            SetUp.until(
                "hint of " + e.getKey() + " on the restarted node",
                SetUp.DEADLINE,
                () -> get(g, back, e.getKey(), "one"),
                Reply::ok);
        assertEquals(e.getValue(), r.body().path("kv").path("value").asText(), e.getKey());
        Reply atAll = get(g, nodes.get(0), e.getKey(), "all");
        assertTrue(atAll.ok(), e.getKey() + ": " + atAll.describe());
        assertEquals(e.getValue(), atAll.body().path("kv").path("value").asText());
      }
    }
  }
}
