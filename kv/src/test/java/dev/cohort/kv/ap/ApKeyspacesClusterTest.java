package dev.cohort.kv.ap;

import static dev.cohort.kv.ap.ApTestCluster.await;
import static dev.cohort.kv.ap.ApTestCluster.error;
import static dev.cohort.kv.ap.ApTestCluster.join;
import static dev.cohort.kv.ap.ApTestCluster.valueAtOne;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.internal.ApBucket;
import dev.cohort.kv.ap.internal.ApBucketKey;
import dev.cohort.kv.ap.internal.ApEntry;
import dev.cohort.kv.ap.internal.HybridLogicalClock;
import dev.cohort.observability.Metrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AP keyspaces on three nodes in one JVM (with Artery's test mode, so that one test can cut a node
 * off and heal it again).
 */
@Tag("integration")
class ApKeyspacesClusterTest {
  @TempDir static Path root;
  private static ApTestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = ApTestCluster.start("ApKeyspacesClusterTest", root, 3,
        "cohort.kv.ap.tombstone-ttl = 2s\npekko.remote.artery.advanced.test-mode = on\n");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void writeAtAllIsReadAtOneOnEveryNode() {
    join(cluster.ks(0, "all").put("k", bytes("v1"), 0, Consistency.ALL));
    for (int n = 0; n < 3; n++) {
      assertEquals("v1", valueAtOne(cluster.ks(n, "all"), "k"), "node " + n);
    }
  }

  @Test
  void writeAtOneBecomesVisibleEverywhereWithinBound() {
    join(cluster.ks(1, "one").put("k", bytes("spread"), 0, Consistency.ONE));
    for (int n = 0; n < 3; n++) {
      ApKeyspace ks = cluster.ks(n, "one");
      await(Duration.ofSeconds(5), () -> "spread".equals(valueAtOne(ks, "k")));
    }
  }

  /**
   * A quorum write is seen by a quorum read on every node, and QUORUM is neither ONE nor ALL: with
   * node 2 cut off from the other two, ONE still answers there while QUORUM fails with
   * consistency_unavailable (a level mapped to ONE would answer), and on the majority side QUORUM
   * answers while ALL fails (a level mapped to ALL would fail).
   */
  @Test
  void quorumWriteIsSeenByQuorumReadAndQuorumNeedsAMajority() throws Exception {
    join(cluster.ks(0, "quorum").put("k", bytes("q"), 0, Consistency.QUORUM));
    for (int n = 0; n < 3; n++) {
      assertEquals("q", join(cluster.ks(n, "quorum").get("k", Consistency.QUORUM)).valueUtf8());
    }
    cluster.partition(2, true);
    try {
      join(cluster.ks(2, "quorum").put("alone", bytes("one"), 0, Consistency.ONE));
      assertEquals("q", join(cluster.ks(2, "quorum").get("k", Consistency.ONE)).valueUtf8());
      KvException write = error(cluster.ks(2, "quorum").put("alone", bytes("q"), 0, Consistency.QUORUM));
      assertEquals("consistency_unavailable", write.code());
      assertTrue(write.getMessage().contains("needs 2 of 3 replicas"), write.getMessage());
      assertEquals("consistency_unavailable",
          error(cluster.ks(2, "quorum").get("k", Consistency.QUORUM)).code());

      join(cluster.ks(0, "quorum").put("majority", bytes("m"), 0, Consistency.QUORUM));
      assertEquals("m", join(cluster.ks(1, "quorum").get("majority", Consistency.QUORUM)).valueUtf8());
      assertEquals("consistency_unavailable",
          error(cluster.ks(0, "quorum").put("majority", bytes("a"), 0, Consistency.ALL)).code());
    } finally {
      cluster.partition(2, false);
      // The other tests share the cluster: wait until every replica answers again.
      await(Duration.ofSeconds(30), () -> {
        try {
          join(cluster.ks(2, "quorum").put("healed", bytes("h"), 0, Consistency.ALL));
          return true;
        } catch (KvException e) {
          return false;
        }
      });
    }
  }

  /** ConvergesByHlcLww: concurrent writes of one key on two nodes end as the same value everywhere. */
  @Test
  void concurrentWritesConvergeToTheSameValueEverywhere() throws Exception {
    for (int round = 0; round < 5; round++) {
      String key = "race-" + round;
      CountDownLatch go = new CountDownLatch(1);
      Thread a = Thread.ofVirtual().start(() -> {
        awaitLatch(go);
        join(cluster.ks(0, "race").put(key, bytes("from-0"), 0, Consistency.ONE));
      });
      Thread b = Thread.ofVirtual().start(() -> {
        awaitLatch(go);
        join(cluster.ks(1, "race").put(key, bytes("from-1"), 0, Consistency.ONE));
      });
      go.countDown();
      a.join();
      b.join();
      await(Duration.ofSeconds(5), () -> {
        String v0 = valueAtOne(cluster.ks(0, "race"), key);
        return v0 != null
            && v0.equals(valueAtOne(cluster.ks(1, "race"), key))
            && v0.equals(valueAtOne(cluster.ks(2, "race"), key));
      });
      // The survivor is the write with the greater (timestamp, writer), on every node.
      ApValue v = join(cluster.ks(2, "race").get(key, Consistency.ALL));
      for (int n = 0; n < 3; n++) {
        ApValue other = join(cluster.ks(n, "race").get(key, Consistency.ONE));
        assertEquals(v.timestamp(), other.timestamp());
        assertEquals(v.writer(), other.writer());
      }
    }
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void ttlExpiresTheKeyOnEveryReplicaAndItIsPurged() {
    ApKeyspace ks0 = cluster.ks(0, "ttl");
    join(ks0.put("short", bytes("x"), 1, Consistency.ALL));
    join(ks0.put("long", bytes("y"), 3600, Consistency.ALL));
    assertEquals("x", valueAtOne(cluster.ks(2, "ttl"), "short"));
    for (int n = 0; n < 3; n++) {
      ApKeyspace ks = cluster.ks(n, "ttl");
      await(Duration.ofSeconds(5), () -> valueAtOne(ks, "short") == null);
      assertEquals("y", valueAtOne(ks, "long"));
    }
    // Purged (expiry + tombstone-ttl 2 s) from every replica by the sweepers.
    for (int n = 0; n < 3; n++) {
      int node = n;
      await(Duration.ofSeconds(10),
          () -> cluster.rawBucket(node, "ttl", "short").entry("short") == null);
    }
  }

  @Test
  void deleteLeavesTombstonesThatArePurgedLater() {
    ApKeyspace ks0 = cluster.ks(0, "tomb");
    join(ks0.put("gone", bytes("v"), 0, Consistency.ALL));
    ApWriteResult deleted = join(cluster.ks(1, "tomb").delete("gone", Consistency.ALL));
    assertTrue(deleted.existed());
    for (int n = 0; n < 3; n++) {
      assertNull(valueAtOne(cluster.ks(n, "tomb"), "gone"));
      ApEntry e = cluster.rawBucket(n, "tomb", "gone").entry("gone");
      assertNotNull(e, "tombstone on node " + n);
      assertTrue(e.isTombstone());
    }
    assertEquals("key_not_found", error(ks0.get("gone", Consistency.QUORUM)).code());
    for (int n = 0; n < 3; n++) {
      int node = n;
      await(Duration.ofSeconds(10),
          () -> cluster.rawBucket(node, "tomb", "gone").entry("gone") == null);
    }
    // A later write of the key is not hidden by anything.
    join(ks0.put("gone", bytes("back"), 0, Consistency.ALL));
    assertEquals("back", valueAtOne(cluster.ks(2, "tomb"), "gone"));
  }

  @Test
  void badInputFailsWithTypedErrorsAndStoresNothing() {
    ApKeyspace ks = cluster.ks(0, "bad");
    KvException unknown = assertThrows(KvException.class, () -> Consistency.parse("two", null));
    assertEquals("invalid_consistency", unknown.code());
    assertEquals(400, unknown.kind().httpStatus());
    assertEquals(Consistency.QUORUM, Consistency.parse(null, Consistency.QUORUM));
    assertEquals(Consistency.ALL, Consistency.parse("ALL", Consistency.ONE));
    assertEquals("invalid_consistency", error(ks.put("a", bytes("v"), 0, null)).code());
    assertEquals("invalid_key", error(ks.put("", bytes("v"), 0, Consistency.ONE)).code());
    assertEquals("invalid_key", error(ks.get(null, Consistency.ONE)).code());
    assertEquals("key_too_large",
        error(ks.put("k".repeat(1025), bytes("v"), 0, Consistency.ONE)).code());
    assertEquals("value_too_large",
        error(ks.put("b", new byte[65537], 0, Consistency.ONE)).code());
    assertEquals("invalid_request", error(ks.put("c", null, 0, Consistency.ONE)).code());
    assertEquals("invalid_ttl", error(ks.put("d", bytes("v"), -1, Consistency.ONE)).code());
    assertEquals("invalid_ttl",
        error(ks.put("e", bytes("v"), 366L * 24 * 3600, Consistency.ONE)).code());
    assertEquals("invalid_keyspace_name",
        assertThrows(KvException.class, () -> cluster.nodes.get(0).keyspace("Bad Name")).code());
    assertEquals(List.of(), join(ks.range("", 0, Consistency.ALL)).values());
  }

  @Test
  void rangeReturnsLiveKeysWithPrefixSortedAndLimited() {
    ApKeyspace ks = cluster.ks(0, "range");
    for (String k : List.of("p/c", "p/a", "p/b", "q/a")) {
      join(ks.put(k, bytes(k), 0, Consistency.ALL));
    }
    join(ks.delete("p/b", Consistency.ALL));
    ApRangeResult all = join(cluster.ks(2, "range").range("p/", 0, Consistency.QUORUM));
    assertEquals(List.of("p/a", "p/c"), all.values().stream().map(ApValue::key).toList());
    assertFalse(all.more());
    ApRangeResult one = join(cluster.ks(1, "range").range("", 2, Consistency.ONE));
    assertEquals(List.of("p/a", "p/c"), one.values().stream().map(ApValue::key).toList());
    assertTrue(one.more());
  }

  @Test
  void watchSeesLocalAndReplicatedChanges() {
    java.util.Queue<ApWatchEvent> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    cluster.ks(2, "watch").watch("w/").runForeach(seen::add, cluster.kits.get(2).system());
    // The watch subscribes asynchronously: write a local key until the watch reports it.
    await(Duration.ofSeconds(10), () -> {
      join(cluster.ks(2, "watch").put("w/local", bytes("l"), 0, Consistency.ONE));
      return !seen.isEmpty();
    });
    join(cluster.ks(0, "watch").put("w/1", bytes("a"), 0, Consistency.ALL));
    join(cluster.ks(1, "watch").put("other", bytes("c"), 0, Consistency.ALL));
    await(Duration.ofSeconds(5), () -> seen.stream().anyMatch(
        e -> e.type() == ApWatchEvent.Type.PUT && e.key().equals("w/1")));
    join(cluster.ks(1, "watch").delete("w/1", Consistency.ALL));
    await(Duration.ofSeconds(5), () -> seen.stream().anyMatch(
        e -> e.type() == ApWatchEvent.Type.DELETE && e.key().equals("w/1")));
    assertTrue(seen.stream().allMatch(e -> e.key().startsWith("w/")), seen.toString());
    ApWatchEvent put = seen.stream().filter(e -> e.key().equals("w/1")).findFirst().orElseThrow();
    assertEquals("a", new String(put.value(), StandardCharsets.UTF_8));
  }

  @Test
  void requestsAreCountedByKeyspaceOpConsistencyAndOutcome() {
    ApKeyspace ks = cluster.ks(0, "metrics");
    join(ks.put("m", bytes("v"), 0, Consistency.QUORUM));
    error(ks.get("missing", Consistency.ONE));
    await(Duration.ofSeconds(5), () -> Metrics.get(cluster.kits.get(0).system()).scrape()
        .contains("cohort_kv_ap_keys{keyspace=\"metrics\"} 1"));
    String text = Metrics.get(cluster.kits.get(0).system()).scrape();
    assertTrue(text.contains(
        "cohort_kv_ap_requests_total{consistency=\"quorum\",keyspace=\"metrics\",op=\"put\",outcome=\"ok\"} 1"),
        text);
    assertTrue(text.contains(
        "cohort_kv_ap_requests_total{consistency=\"one\",keyspace=\"metrics\",op=\"get\",outcome=\"key_not_found\"} 1"),
        text);
    assertTrue(text.contains("cohort_kv_ap_request_seconds_bucket{consistency=\"quorum\""), text);
  }

  /**
   * A node with a runaway clock: an entry stamped a minute ahead (planted straight into the
   * replicas, as a node whose wall clock runs a minute fast would write it) is served, but a write
   * over it fails with clock_offset_exceeded and leaves it in place, instead of pulling this node's
   * clock a minute forward.
   */
  @Test
  void entryStampedBeyondTheMaximumClockOffsetIsServedButNotFollowed() {
    long future = HybridLogicalClock.pack(System.currentTimeMillis() + 60_000, 0);
    ApEntry planted = new ApEntry(bytes("from-the-future"), future, "pekko://fast-clock@10.0.0.9:1", 0, 0);
    var replicator = Adapter.toClassic(cluster.kits.get(0).system()).actorSelection("/system/cohortKvAp");
    int bucket = ApBucketKey.bucketOf("ahead", cluster.nodes.get(0).settings().buckets());
    Object reply = join(Patterns.ask(replicator,
        new Replicator.Update<ApBucket>(ApBucketKey.of("skew", 0, bucket), ApBucket.EMPTY,
            Replicator.writeLocal(), Optional.empty(), b -> b.put("ahead", planted)),
        Duration.ofSeconds(5)));
    assertTrue(reply instanceof Replicator.UpdateSuccess<?>, String.valueOf(reply));
    ApKeyspace ks = cluster.ks(0, "skew");

    assertEquals("from-the-future", join(ks.get("ahead", Consistency.ONE)).valueUtf8());
    KvException refused = error(ks.put("ahead", bytes("now"), 0, Consistency.ONE));
    assertEquals("clock_offset_exceeded", refused.code());
    assertTrue(refused.getMessage().contains("ms ahead"), refused.getMessage());
    assertEquals(future, cluster.rawBucket(0, "skew", "ahead").entry("ahead").timestamp());
    long issued = join(ks.put("other", bytes("fine"), 0, Consistency.ONE)).timestamp();
    assertTrue(HybridLogicalClock.physicalMillis(issued) < System.currentTimeMillis() + 1_000,
        "the node's clock followed the runaway timestamp: " + HybridLogicalClock.format(issued));
    assertTrue(Metrics.get(cluster.kits.get(0).system()).scrape()
        .contains("cohort_kv_ap_clock_offset_rejections_total 2.0"));
  }
}
