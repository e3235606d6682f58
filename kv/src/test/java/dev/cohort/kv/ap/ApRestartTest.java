package dev.cohort.kv.ap;

import static dev.cohort.kv.ap.ApTestCluster.valueAtOne;
import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AP data survives stopping every node and starting them again on the same data directories. */
@Tag("integration")
class ApRestartTest {
  @TempDir Path root;

  @Test
  void dataSurvivesAFullClusterRestart() throws Exception {
    try (ApTestCluster c = ApTestCluster.start("ApRestartTest", root, 3, "")) {
      for (int i = 0; i < 20; i++) {
        join(
            c.ks(i % 3, "durable")
                .put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8), 0, Consistency.ALL));
      }
      join(c.ks(1, "durable").delete("k0", Consistency.ALL));
      // Acknowledged at one: on one replica's disk before the answer, on the others soon after.
      join(c.ks(1, "durable").put("one-only", new byte[] {42}, 0, Consistency.ONE));
    }
    for (int n = 0; n < 3; n++) {
      try (var files = Files.list(root.resolve("node-" + n).resolve("ap"))) {
        assertTrue(
            files.anyMatch(f -> f.getFileName().toString().equals("CURRENT")),
            "no RocksDB store on node " + n);
      }
    }
    try (ApTestCluster c = ApTestCluster.start("ApRestartTest", root, 3, "")) {
      for (int n = 0; n < 3; n++) {
        ApKeyspace ks = c.ks(n, "durable");
        // Read at one: each node answers from what it loaded from its own disk.
        for (int i = 1; i < 20; i++) {
          assertEquals("v" + i, valueAtOne(ks, "k" + i), "node " + n + " key k" + i);
        }
        assertNull(valueAtOne(ks, "k0"), "the delete survives too");
        await(Duration.ofSeconds(10), () -> valueAtOne(ks, "one-only") != null);
      }
      assertEquals(19, join(c.ks(0, "durable").range("k", 0, Consistency.ALL)).values().size());
    }
  }
}
