package dev.cohort.kv.ap;

import static dev.cohort.kv.ap.ApTestCluster.await;
import static dev.cohort.kv.ap.ApTestCluster.error;
import static dev.cohort.kv.ap.ApTestCluster.join;
import static dev.cohort.kv.ap.ApTestCluster.valueAtOne;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KvException;
import dev.cohort.persistence.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source document's CP-vs-AP trade-off, shown: one of three nodes is cut off by Artery's test
 * transport (every message between it and the others dropped, both ways).
 */
@Tag("integration")
class ApPartitionTest {
  @TempDir Path root;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void majorityKeepsQuorumMinorityOnlyOneAndAllConvergeAfterHealing() throws Exception {
    try (ApTestCluster c = ApTestCluster.start("ApPartitionTest", root, 3,
        "pekko.remote.artery.advanced.test-mode = on\n")) {
      join(c.ks(0, "p").put("shared", bytes("before"), 0, Consistency.ALL));
      join(c.ks(0, "p").put("doomed", bytes("d"), 0, Consistency.ALL));

      c.partition(2, true);

      // Majority side: quorum reads and writes still succeed.
      join(c.ks(0, "p").put("majority", bytes("m"), 0, Consistency.QUORUM));
      assertEquals("m", join(c.ks(1, "p").get("majority", Consistency.QUORUM)).valueUtf8());

      // Minority side: quorum fails, loudly, and one still works.
      KvException write = error(c.ks(2, "p").put("minority-q", bytes("x"), 0, Consistency.QUORUM));
      assertEquals("consistency_unavailable", write.code());
      assertEquals(ErrorKind.UNAVAILABLE, write.kind());
      assertTrue(write.getMessage().contains("needs 2 of 3 replicas"), write.getMessage());
      KvException read = error(c.ks(2, "p").get("shared", Consistency.QUORUM));
      assertEquals("consistency_unavailable", read.code());
      assertEquals("consistency_unavailable",
          error(c.ks(0, "p").get("shared", Consistency.ALL)).code());

      ApWriteResult minority = join(c.ks(2, "p").put("shared", bytes("minority"), 0, Consistency.ONE));
      join(c.ks(2, "p").put("minority-only", bytes("o"), 0, Consistency.ONE));
      join(c.ks(2, "p").delete("doomed", Consistency.ONE));
      assertEquals("minority", valueAtOne(c.ks(2, "p"), "shared"));
      ApWriteResult majority = join(c.ks(0, "p").put("shared", bytes("majority"), 0, Consistency.QUORUM));
      String expected = (majority.timestamp() > minority.timestamp()
          || (majority.timestamp() == minority.timestamp()
              && c.address(0).toString().compareTo(c.address(2).toString()) > 0))
          ? "majority" : "minority";

      c.partition(2, false);

      // ConvergeAfterHeal: every replica ends with the same values, last writer (by HLC) winning,
      // tombstones included.
      for (int n = 0; n < 3; n++) {
        ApKeyspace ks = c.ks(n, "p");
        await(Duration.ofSeconds(20), () ->
            "m".equals(valueAtOne(ks, "majority"))
                && "o".equals(valueAtOne(ks, "minority-only"))
                && valueAtOne(ks, "doomed") == null
                && Objects.equals(expected, valueAtOne(ks, "shared")));
      }
      assertEquals(expected, join(c.ks(2, "p").get("shared", Consistency.ALL)).valueUtf8());
      // The failed quorum write was applied on the minority replica and spread after healing: a
      // timeout is not a rollback (documented).
      assertEquals("x", join(c.ks(0, "p").get("minority-q", Consistency.ALL)).valueUtf8());
    }
  }
}
