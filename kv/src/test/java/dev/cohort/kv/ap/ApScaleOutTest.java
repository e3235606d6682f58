package dev.cohort.kv.ap;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.internal.ApEntry;
import dev.cohort.observability.Metrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes stream data (three nodes in one JVM, RF 3, {@code serialize-messages = on}). A
 * 4th node joins while a writer and a reader run at {@code quorum}: every read returns the latest
 * version acknowledged before it started (the joining node is pending, so reads do not use it until
 * it has fetched its ranges, and writes reach it and a quorum of the old replicas), and afterwards
 * its own store holds every key of its ranges at the latest acknowledged version. Then a node is
 * asked to leave: it sends its ranges to the replicas that take them over before it exits, so every
 * remaining node (each a replica of every key at RF 3 of 3) holds every acknowledged write in its
 * own store, and a read at {@code all} returns it.
 */
@Tag("integration")
class ApScaleOutTest {
  private static final String KS = "scale";
  private static final int KEYS = 300;
  private static final String SETTLE = "cohort.kv.ap.streaming.settle = 5s\n";

  @TempDir Path dir;

  private static String key(int i) {
    return "user/" + i;
  }

  private static long version(String value) {
    return Long.parseLong(value.substring(1));
  }

  private static long version(ApEntry e) {
    return e == null || e.isTombstone()
        ? -1
        : version(new String(e.value(), StandardCharsets.UTF_8));
  }

  @Test
  void aFourthNodeJoinsUnderLoadAndADecommissionedNodeLosesNothing() throws Exception {
    try (ApTestCluster cluster = ApTestCluster.start("ApScaleOut", dir, 3, SETTLE)) {
      assertEquals(3, join(cluster.nodes.get(0).configure(KS, 0, 3)));
      AtomicLongArray acked = new AtomicLongArray(KEYS);
      for (int i = 0; i < KEYS; i++) {
        join(cluster.ks(i % 3, KS).put(key(i), bytes("v0"), 0, Consistency.QUORUM));
      }

      List<Integer> coordinators = new ArrayList<>(List.of(0, 1, 2));
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<String> stale = new ConcurrentLinkedQueue<>();
      AtomicInteger reads = new AtomicInteger();
      AtomicInteger readErrors = new AtomicInteger();
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    long round = 0;
                    while (!stop.get()) {
                      round++;
                      for (int i = 0; i < KEYS && !stop.get(); i += 7) {
                        int node = pick(coordinators);
                        try {
                          join(
                              cluster
                                  .ks(node, KS)
                                  .put(key(i), bytes("v" + round), 0, Consistency.QUORUM));
                          acked.accumulateAndGet(i, round, Math::max);
                        } catch (KvException e) {
                          // not acknowledged: nothing to expect
                        }
                      }
                    }
                  });
      Thread reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!stop.get()) {
                      int i = ThreadLocalRandom.current().nextInt(KEYS);
                      long before = acked.get(i);
                      int node = pick(coordinators);
                      try {
                        long got =
                            version(
                                join(cluster.ks(node, KS).get(key(i), Consistency.QUORUM))
                                    .valueUtf8());
                        reads.incrementAndGet();
                        if (got < before) {
                          stale.add(key(i) + " via node " + node + ": v" + got + " < v" + before);
                        }
                      } catch (KvException e) {
                        readErrors.incrementAndGet();
                      }
                    }
                  });

      int readsAtJoin = reads.get();
      int fourth = cluster.add("ApScaleOut", dir, SETTLE);
      synchronized (coordinators) {
        coordinators.add(fourth);
      }
      cluster.awaitStreamed(Duration.ofSeconds(60));
      int readsDuringJoin = reads.get() - readsAtJoin;
      int readsAfter = reads.get();
      await(Duration.ofSeconds(30), () -> reads.get() > readsAfter + 200);
      stop.set(true);
      writer.join();
      reader.join();

      assertTrue(
          stale.isEmpty(),
          "stale quorum reads: " + stale + " (of " + reads + " reads; failed: " + readErrors + ")");
      assertTrue(readsDuringJoin > 0, "no read ran while the 4th node joined and streamed");
      String newcomer = cluster.impl(fourth).self();
      int onNewcomer = 0;
      for (int i = 0; i < KEYS; i++) {
        ApEndpoints where = cluster.ks(0, KS).endpoints(key(i));
        if (where.replicas().stream().anyMatch(r -> r.node().equals(newcomer))) {
          onNewcomer++;
          long held = version(cluster.impl(fourth).localEntry(KS, 0, key(i)));
          assertTrue(
              held >= acked.get(i),
              key(i) + " on the new replica: v" + held + " < acknowledged v" + acked.get(i));
        }
      }
      assertTrue(onNewcomer > KEYS / 2, "the 4th node replicates about 3/4 of the keys");
      String scrape = Metrics.get(cluster.kits.get(fourth).system()).scrape();
      assertTrue(
          scrape.contains("cohort_kv_ap_streaming_bytes_total{direction=\"in\",stream=\"join\"}"),
          "join bytes counted: " + scrape.lines().filter(l -> l.contains("streaming")).toList());

      int leaving = 1;
      var leavingAddress = cluster.address(leaving);
      Cluster.get(cluster.kits.get(leaving).system()).manager().tell(Leave.create(leavingAddress));
      join(cluster.kits.get(leaving).system().getWhenTerminated(), Duration.ofSeconds(60));
      List<Integer> remaining = List.of(0, 2, fourth);
      for (int node : remaining) {
        await(
            Duration.ofSeconds(30),
            () -> {
              for (var m : Cluster.get(cluster.kits.get(node).system()).state().getMembers()) {
                if (m.address().equals(leavingAddress)) {
                  return false;
                }
              }
              return true;
            });
      }
      String left = cluster.impl(leaving).self();
      for (int i = 0; i < KEYS; i++) {
        for (int node : remaining) {
          long held = version(cluster.impl(node).localEntry(KS, 0, key(i)));
          assertTrue(
              held >= acked.get(i),
              key(i) + " on node " + node + ": v" + held + " < acknowledged v" + acked.get(i));
        }
        long atAll = version(join(cluster.ks(0, KS).get(key(i), Consistency.ALL)).valueUtf8());
        assertTrue(atAll >= acked.get(i), key(i) + " at all");
        assertTrue(
            cluster.ks(0, KS).endpoints(key(i)).replicas().stream()
                .noneMatch(r -> r.node().equals(left)),
            "the decommissioned node is off the ring");
      }
    }
  }

  private static int pick(List<Integer> nodes) {
    synchronized (nodes) {
      return nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
