package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.ApKillFaultTest.KEYSPACE;
import static dev.cohort.bench.chaos.ApKillFaultTest.get;
import static dev.cohort.bench.chaos.ApKillFaultTest.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AP keyspaces (RF=3) on three real node processes cut 2/1 by the harness's firewall. Right after
 * the cut, before the split-brain resolver downs the minority (about 3–4 s with the shipped
 * settings), both sides accept {@code one} and only the majority accepts {@code quorum}; the
 * minority's {@code quorum} answers 503 {@code consistency_unavailable}. The minority is then
 * downed and exits (keep-majority), while the majority goes on at {@code quorum}. After healing and
 * restarting the minority on its data directory, a repair converges every replica: every write
 * acknowledged at {@code quorum} — and the minority's {@code one} write — is read at {@code all}.
 */
@Tag("fault")
class ApPartitionFaultTest {

  @Test
  void bothSidesTakeOneOnlyTheMajorityTakesQuorumAndRepairConverges() throws Exception {
    assertNull(
        Firewall.unavailableReason(), "partitions need iptables as root (.ci/run installs it)");
    Path work = Files.createTempDirectory("cohort-ap-partition");
    try (ChaosCluster cluster = ChaosCluster.start(ApKillFaultTest.root(), work, 3, true)) {
      Gateways g = ApKillFaultTest.gateways(cluster);
      ApKillFaultTest.createKeyspace(g);
      ApKillFaultTest.awaitEveryReplicaReady(g, cluster);
      List<URI> nodes = g.nodes();
      ChaosNode minority = cluster.nodes().get(2);
      Map<String, String> acked = new LinkedHashMap<>();
      // Through every node first: each caches the keyspace's registry entry, a CP entity whose
      // shard may be on the other side of the cut (kv/README-ap.md, limits).
      for (URI node : nodes) {
        Reply warm =
            SetUp.until(
                "put at all through " + node,
                SetUp.DEADLINE,
                () -> put(g, node, "before/" + System.nanoTime(), "x", "all"),
                Reply::ok);
        assertTrue(warm.ok(), warm.describe());
      }

      cluster.firewall().partition(cluster.nodes().subList(0, 2), List.of(minority));
      try {
        // The minority's own store acknowledges `one` at once, well inside the window.
        Reply one = put(g, minority.gateway(), "minority/one", "m", "one");
        assertTrue(one.ok(), "minority one: " + one.describe());
        acked.put("minority/one", "m");
        Reply quorum = put(g, minority.gateway(), "minority/quorum", "q", "quorum");
        assertTrue(
            quorum.status() == 503 || !quorum.answered(),
            "minority quorum must not succeed: " + quorum.describe());
        if (quorum.answered()) {
          assertEquals("consistency_unavailable", quorum.code(), quorum.describe());
        }
        for (int i = 0; i < 20; i++) {
          String key = "majority/" + i;
          Reply r = put(g, nodes.get(i % 2), key, "v" + i, i % 4 == 3 ? "one" : "quorum");
          assertTrue(r.ok(), key + ": " + r.describe());
          acked.put(key, "v" + i);
        }
      } finally {
        cluster.firewall().heal();
      }
      cluster.awaitHealthy(ChaosCluster.START);
      assertTrue(minority.alive(), "the harness restarts the downed minority");
      Reply repaired = ChaosHttp.post(g, nodes.get(0), "/v1/kv/" + KEYSPACE + "/repair", null);
      assertTrue(repaired.ok(), repaired.describe());
      for (Map.Entry<String, String> e : acked.entrySet()) {
        Reply r =
            SetUp.until(
                "read " + e.getKey() + " at all",
                SetUp.DEADLINE,
                () -> get(g, nodes.get(1), e.getKey(), "all"),
                Reply::ok);
        assertEquals(e.getValue(), r.body().path("kv").path("value").asText(), e.getKey());
        Reply local = get(g, minority.gateway(), e.getKey(), "one");
        assertTrue(
            local.ok(), "on the former minority's store: " + e.getKey() + " " + local.describe());
      }
    }
  }
}
