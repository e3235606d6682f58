package dev.cohort.kv.ap;

import static dev.cohort.kv.ap.ApTestCluster.error;
import static dev.cohort.kv.ap.ApTestCluster.valueAtOne;
import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.internal.ApEntry;
import dev.cohort.kv.ap.internal.HybridLogicalClock;
import dev.cohort.observability.Metrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AP keyspaces on three nodes in one JVM (with Artery's test mode, so that one test can cut a node
 * off and heal it again): placement by replication factor, the levels, hints, read repair, Merkle
 * repair, TTL, tombstones, range, watch, metrics, the clock guard, bad input.
 */
@Tag("integration")
class ApKeyspacesClusterTest {
  @TempDir static Path root;
  private static ApTestCluster cluster;

  @BeforeAll
  static void start() {
    cluster =
        ApTestCluster.start(
            "ApKeyspacesClusterTest",
            root,
            3,
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

  private static ApEntry local(int node, String keyspace, String key) {
    return cluster.impl(node).localEntry(keyspace, 0, key);
  }

  @Test
  void writeAtAllIsReadAtOneOnEveryNode() {
    join(cluster.ks(0, "all").put("k", bytes("v1"), 0, Consistency.ALL));
    for (int n = 0; n < 3; n++) {
      assertEquals("v1", valueAtOne(cluster.ks(n, "all"), "k"), "node " + n);
      assertEquals("v1", new String(local(n, "all", "k").value(), StandardCharsets.UTF_8));
    }
  }

  /**
   * With replicationFactor 2 on three nodes, each key is stored on exactly the two nodes the ring
   * names, and any node coordinates its reads and writes.
   */
  @Test
  void keysAreStoredOnTheReplicasTheRingNamesOnly() {
    assertEquals(2, join(cluster.nodes.get(0).configure("placed", 0, 2)));
    for (int n = 0; n < 3; n++) {
      int node = n;
      await(Duration.ofSeconds(10), () -> cluster.ks(node, "placed").replicationFactor() == 2);
    }
    Set<String> primaries = new TreeSet<>();
    for (int i = 0; i < 30; i++) {
      String key = "p-" + i;
      join(cluster.ks(i % 3, "placed").put(key, bytes("v" + i), 0, Consistency.ALL));
      ApEndpoints where = cluster.ks(0, "placed").endpoints(key);
      assertEquals(where, cluster.ks(2, "placed").endpoints(key), "every node places alike");
      assertEquals(2, where.replicas().size());
      primaries.add(where.replicas().getFirst().node());
      Set<Integer> holders = new TreeSet<>();
      for (int n = 0; n < 3; n++) {
        if (local(n, "placed", key) != null) {
          holders.add(n);
        }
      }
      Set<Integer> expected = new TreeSet<>();
      where.replicas().forEach(r -> expected.add(cluster.indexOf(r.node())));
      assertEquals(expected, holders, key);
      int outsider = 3 - expected.stream().mapToInt(Integer::intValue).sum();
      assertEquals(
          "v" + i, join(cluster.ks(outsider, "placed").get(key, Consistency.QUORUM)).valueUtf8());
    }
    assertEquals(3, primaries.size(), "30 keys have primaries on all three nodes: " + primaries);
    assertEquals(
        "replication_factor_conflict",
        error(cluster.nodes.get(1).configure("placed", 0, 3)).code());
    assertEquals(2, join(cluster.nodes.get(1).configure("placed", 0, 0)));
  }

  /**
   * Node 2 cut off: ONE still answers there while QUORUM fails with consistency_unavailable naming
   * required and alive counts; on the majority side QUORUM answers while ALL fails. The majority's
   * writes for node 2 become hints, replayed when it is reachable again, after which ALL reads them
   * on every node.
   */
  @Test
  void quorumNeedsAMajorityAndHintsCatchTheCutOffReplicaUp() throws Exception {
    join(cluster.ks(0, "quorum").put("k", bytes("q"), 0, Consistency.QUORUM));
    for (int n = 0; n < 3; n++) {
      assertEquals("q", join(cluster.ks(n, "quorum").get("k", Consistency.QUORUM)).valueUtf8());
    }
    cluster.partition(2, true);
    try {
      cluster.awaitReachable(0, 2, false);
      // Node 1 coordinates half the writes below: a node it still trusts gets the write (and a
      // hint only after request-timeout), so it must see the cut too.
      cluster.awaitReachable(1, 2, false);
      cluster.awaitReachable(2, 0, false);
      cluster.awaitReachable(2, 1, false);
      join(cluster.ks(2, "quorum").put("alone", bytes("one"), 0, Consistency.ONE));
      assertEquals("q", join(cluster.ks(2, "quorum").get("k", Consistency.ONE)).valueUtf8());
      KvException write =
          error(cluster.ks(2, "quorum").put("alone", bytes("q"), 0, Consistency.QUORUM));
      assertEquals("consistency_unavailable", write.code());
      assertTrue(write.getMessage().contains("needs 2 of 3 replicas"), write.getMessage());
      assertTrue(write.getMessage().contains("required=2, alive=1"), write.getMessage());
      assertEquals(
          "consistency_unavailable",
          error(cluster.ks(2, "quorum").get("k", Consistency.QUORUM)).code());

      for (int i = 0; i < 20; i++) {
        join(
            cluster
                .ks(i % 2, "quorum")
                .put("majority-" + i, bytes("m" + i), 0, Consistency.QUORUM));
      }
      assertEquals(
          "m3", join(cluster.ks(1, "quorum").get("majority-3", Consistency.QUORUM)).valueUtf8());
      assertEquals(
          "consistency_unavailable",
          error(cluster.ks(0, "quorum").put("majority-0", bytes("a"), 0, Consistency.ALL)).code());
      assertTrue(cluster.impl(0).hintsPending() + cluster.impl(1).hintsPending() >= 20);
      assertNull(local(2, "quorum", "majority-0"));
    } finally {
      cluster.partition(2, false);
    }
    cluster.awaitReachable(0, 2, true);
    cluster.awaitReachable(1, 2, true);
    cluster.awaitReachable(2, 0, true);
    cluster.awaitReachable(2, 1, true);
    await(
        Duration.ofSeconds(30),
        () -> cluster.impl(0).hintsPending() == 0 && cluster.impl(1).hintsPending() == 0);
    for (int i = 0; i < 20; i++) {
      assertEquals(
          "m" + i,
          new String(local(2, "quorum", "majority-" + i).value(), StandardCharsets.UTF_8),
          "hint replayed to node 2");
      assertEquals(
          "m" + i, join(cluster.ks(2, "quorum").get("majority-" + i, Consistency.ALL)).valueUtf8());
    }
    assertTrue(
        Metrics.get(cluster.kits.get(0).system())
            .scrape()
            .contains("cohort_kv_ap_hints_total{outcome=\"replayed\"}"));
  }

  /** A replica broken on purpose (entries written straight into its store) is repaired. */
  @Test
  void merkleRepairMakesEveryReplicaMatch() {
    ApKeyspace ks = cluster.ks(0, "merkle");
    for (int i = 0; i < 200; i++) {
      join(ks.put("m-" + i, bytes("v" + i), 0, Consistency.ALL));
    }
    long newer = HybridLogicalClock.pack(System.currentTimeMillis(), 7);
    String writer = cluster.impl(1).self();
    for (int i = 0; i < 200; i += 20) {
      join(
          cluster
              .impl(1)
              .writeLocal(
                  "merkle", 0, "m-" + i, new ApEntry(bytes("broken-" + i), newer, writer, 0, 0)));
    }
    join(
        cluster
            .impl(1)
            .writeLocal("merkle", 0, "only-on-1", new ApEntry(bytes("lost"), newer, writer, 0, 0)));
    assertNull(local(0, "merkle", "only-on-1"));

    ApRepairResult first = join(ks.repair());
    assertTrue(first.rangesDiffering() > 0, first.toString());
    assertTrue(first.entriesReceived() >= 11, first.toString());
    for (int i = 0; i < 200; i++) {
      String key = "m-" + i;
      assertEquals(local(1, "merkle", key), local(0, "merkle", key), key + " " + first);
      assertEquals(local(1, "merkle", key), local(2, "merkle", key), key);
    }
    assertEquals(local(1, "merkle", "only-on-1"), local(2, "merkle", "only-on-1"));
    ApRepairResult again = join(cluster.ks(2, "merkle").repair());
    assertEquals(0, again.rangesDiffering(), again.toString());
    String scrape = Metrics.get(cluster.kits.get(0).system()).scrape();
    assertTrue(
        scrape.contains("cohort_kv_ap_streaming_bytes_total{direction=\"in\",stream=\"repair\"}"),
        scrape.lines().filter(l -> l.contains("streaming")).toList().toString());
  }

  /** A read at ALL that finds a stale replica returns the newest entry and repairs the others. */
  @Test
  void readRepairUpdatesStaleReplicas() {
    ApKeyspace ks = cluster.ks(0, "readrepair");
    join(ks.put("r", bytes("old"), 0, Consistency.ALL));
    long newer = HybridLogicalClock.pack(System.currentTimeMillis() + 5, 0);
    join(
        cluster
            .impl(2)
            .writeLocal(
                "readrepair",
                0,
                "r",
                new ApEntry(bytes("new"), newer, cluster.impl(2).self(), 0, 0)));
    assertEquals("new", join(ks.get("r", Consistency.ALL)).valueUtf8());
    await(
        Duration.ofSeconds(5),
        () ->
            newer == local(0, "readrepair", "r").timestamp()
                && newer == local(1, "readrepair", "r").timestamp());
    assertTrue(
        Metrics.get(cluster.kits.get(0).system())
            .scrape()
            .contains("cohort_kv_ap_read_repairs_total"));
  }

  /** Concurrent writes of one key on two coordinators end as the same value everywhere. */
  @Test
  void concurrentWritesConvergeToTheSameValueEverywhere() throws Exception {
    for (int round = 0; round < 5; round++) {
      String key = "race-" + round;
      CountDownLatch go = new CountDownLatch(1);
      Thread a =
          Thread.ofVirtual()
              .start(
                  () -> {
                    awaitLatch(go);
                    join(cluster.ks(0, "race").put(key, bytes("from-0"), 0, Consistency.ONE));
                  });
      Thread b =
          Thread.ofVirtual()
              .start(
                  () -> {
                    awaitLatch(go);
                    join(cluster.ks(1, "race").put(key, bytes("from-1"), 0, Consistency.ONE));
                  });
      go.countDown();
      a.join();
      b.join();
      await(
          Duration.ofSeconds(5),
          () -> {
            ApEntry e0 = local(0, "race", key);
            return e0 != null
                && e0.equals(local(1, "race", key))
                && e0.equals(local(2, "race", key));
          });
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
    for (int n = 0; n < 3; n++) {
      ApKeyspace ks = cluster.ks(n, "ttl");
      await(Duration.ofSeconds(5), () -> valueAtOne(ks, "short") == null);
      assertEquals("y", valueAtOne(ks, "long"));
    }
    // Purged (expiry + tombstone-ttl 2 s) from every replica by the sweepers.
    for (int n = 0; n < 3; n++) {
      int node = n;
      await(Duration.ofSeconds(10), () -> local(node, "ttl", "short") == null);
      assertNotNull(local(node, "ttl", "long"));
    }
  }

  @Test
  void aReplicaObservesTheTimestampOfEveryWriteItStores() {
    for (int i = 0; i < 5; i++) {
      ApWriteResult first =
          join(cluster.ks(0, "causal").put("k" + i, bytes("first"), 0, Consistency.ALL));
      for (int n = 1; n < 3; n++) {
        // Without it, a write node n coordinates in the same millisecond could be stamped earlier
        // and lose to the write it follows.
        assertTrue(
            cluster.impl(n).clockTimestamp() >= first.timestamp(),
            "node " + n + " round " + i + ": " + cluster.impl(n).clockTimestamp());
      }
      ApWriteResult second =
          join(cluster.ks(1, "causal").put("k" + i, bytes("second"), 0, Consistency.ALL));
      assertTrue(second.timestamp() > first.timestamp(), "round " + i);
      assertEquals("second", valueAtOne(cluster.ks(2, "causal"), "k" + i), "round " + i);
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
      ApEntry e = local(n, "tomb", "gone");
      assertNotNull(e, "tombstone on node " + n);
      assertTrue(e.isTombstone());
    }
    assertEquals("key_not_found", error(ks0.get("gone", Consistency.QUORUM)).code());
    for (int n = 0; n < 3; n++) {
      int node = n;
      await(Duration.ofSeconds(10), () -> local(node, "tomb", "gone") == null);
    }
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
    assertEquals("invalid_consistency", error(ks.put("a", bytes("v"), 0, null)).code());
    assertEquals("invalid_key", error(ks.put("", bytes("v"), 0, Consistency.ONE)).code());
    assertEquals("invalid_key", error(ks.get(null, Consistency.ONE)).code());
    assertEquals(
        "key_too_large", error(ks.put("k".repeat(1025), bytes("v"), 0, Consistency.ONE)).code());
    assertEquals("value_too_large", error(ks.put("b", new byte[65537], 0, Consistency.ONE)).code());
    assertEquals("invalid_request", error(ks.put("c", null, 0, Consistency.ONE)).code());
    assertEquals("invalid_ttl", error(ks.put("d", bytes("v"), -1, Consistency.ONE)).code());
    assertEquals(
        "invalid_keyspace_name",
        assertThrows(KvException.class, () -> cluster.nodes.get(0).keyspace("Bad Name")).code());
    assertEquals("invalid_key", assertThrows(KvException.class, () -> ks.endpoints("")).code());
    assertEquals(
        "invalid_replication_factor", error(cluster.nodes.get(0).configure("bad", 0, 16)).code());
    assertEquals(
        "invalid_replication_factor", error(cluster.nodes.get(0).configure("bad", 0, -1)).code());
    assertEquals(3, ks.replicationFactor(), "nothing was recorded");
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
  void watchSeesChangesOfThisNodesReplica() {
    java.util.Queue<ApWatchEvent> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
    cluster.ks(2, "watch").watch("w/").runForeach(seen::add, cluster.kits.get(2).system());
    await(
        Duration.ofSeconds(10),
        () -> {
          join(cluster.ks(2, "watch").put("w/local", bytes("l"), 0, Consistency.ONE));
          return !seen.isEmpty();
        });
    join(cluster.ks(0, "watch").put("w/1", bytes("a"), 0, Consistency.ALL));
    join(cluster.ks(1, "watch").put("other", bytes("c"), 0, Consistency.ALL));
    await(
        Duration.ofSeconds(5),
        () ->
            seen.stream()
                .anyMatch(e -> e.type() == ApWatchEvent.Type.PUT && e.key().equals("w/1")));
    join(cluster.ks(1, "watch").delete("w/1", Consistency.ALL));
    await(
        Duration.ofSeconds(5),
        () ->
            seen.stream()
                .anyMatch(e -> e.type() == ApWatchEvent.Type.DELETE && e.key().equals("w/1")));
    assertTrue(seen.stream().allMatch(e -> e.key().startsWith("w/")), seen.toString());
    ApWatchEvent put = seen.stream().filter(e -> e.key().equals("w/1")).findFirst().orElseThrow();
    assertEquals("a", new String(put.value(), StandardCharsets.UTF_8));
  }

  @Test
  void requestsAreCountedByKeyspaceOpConsistencyAndOutcome() {
    ApKeyspace ks = cluster.ks(0, "metrics");
    join(ks.put("m", bytes("v"), 0, Consistency.QUORUM));
    error(ks.get("missing", Consistency.ONE));
    await(
        Duration.ofSeconds(5),
        () ->
            Metrics.get(cluster.kits.get(0).system())
                .scrape()
                .contains("cohort_kv_ap_keys{keyspace=\"metrics\"} 1"));
    String text = Metrics.get(cluster.kits.get(0).system()).scrape();
    assertTrue(
        text.contains(
            "cohort_kv_ap_requests_total{consistency=\"quorum\",keyspace=\"metrics\",op=\"put\",outcome=\"ok\"} 1"),
        text);
    assertTrue(
        text.contains(
            "cohort_kv_ap_requests_total{consistency=\"one\",keyspace=\"metrics\",op=\"get\",outcome=\"key_not_found\"} 1"),
        text);
    assertTrue(text.contains("cohort_kv_ap_hints_pending"), text);
  }

  /**
   * An entry stamped a minute ahead (planted straight into the replicas, as a node whose wall clock
   * runs a minute fast would write it) is served, but a write over it fails with
   * clock_offset_exceeded instead of being silently lost, and this node's clock does not follow it.
   */
  @Test
  void entryStampedBeyondTheMaximumClockOffsetIsServedButNotFollowed() {
    long future = HybridLogicalClock.pack(System.currentTimeMillis() + 60_000, 0);
    ApEntry planted =
        new ApEntry(bytes("from-the-future"), future, "pekko://fast@10.0.0.9:1", 0, 0);
    for (int n = 0; n < 3; n++) {
      join(cluster.impl(n).writeLocal("skew", 0, "ahead", planted));
    }
    ApKeyspace ks = cluster.ks(0, "skew");
    assertEquals("from-the-future", join(ks.get("ahead", Consistency.ONE)).valueUtf8());
    KvException refused = error(ks.put("ahead", bytes("now"), 0, Consistency.ONE));
    assertEquals("clock_offset_exceeded", refused.code());
    assertTrue(refused.getMessage().contains("ms ahead"), refused.getMessage());
    assertEquals(future, local(0, "skew", "ahead").timestamp());
    long issued = join(ks.put("other", bytes("fine"), 0, Consistency.ONE)).timestamp();
    assertNotEquals(future, issued);
    assertTrue(
        HybridLogicalClock.physicalMillis(issued) < System.currentTimeMillis() + 1_000,
        "the node's clock followed the runaway timestamp: " + HybridLogicalClock.format(issued));
  }
}
