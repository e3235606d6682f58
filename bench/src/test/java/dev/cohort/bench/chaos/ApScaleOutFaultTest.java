package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.ApKillFaultTest.get;
import static dev.cohort.bench.chaos.ApKillFaultTest.put;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AP membership changes on real node processes (RF 3). A 4th node joins three while a writer and a
 * reader run at {@code quorum}: every read returns the version acknowledged before it started or a
 * later one, throughout; once the new node serves its ranges, a read at {@code one} through it
 * (which reads its own store first) returns the latest acknowledged version of every key it
 * replicates. Then one of the original nodes is decommissioned ({@code PUT
 * /v1/cluster/members/{address}} {@code {"operation":"leave"}}); once it has exited, every
 * acknowledged key reads back at {@code all}, and at {@code one} through each of the three
 * remaining nodes (each a replica of every key): nothing was lost.
 */
@Tag("fault")
class ApScaleOutFaultTest {
  private static final int KEYS = 150;

  private static String key(int i) {
    return "scale/" + i;
  }

  /** The version of a value {@code v<n>}; -1 when the reply holds none. */
  private static long version(Reply r) {
    String value = r.body().path("kv").path("value").asText("");
    return value.startsWith("v") ? Long.parseLong(value.substring(1)) : -1;
  }

  @Test
  void aFourthNodeJoinsUnderLoadAndADecommissionedNodeLosesNothing() throws Exception {
    Path work = Files.createTempDirectory("cohort-ap-scale");
    try (ChaosCluster cluster = ChaosCluster.start(ApKillFaultTest.root(), work, 3, 4, false)) {
      Gateways g = ApKillFaultTest.gateways(cluster);
      ApKillFaultTest.createKeyspace(g);
      List<URI> nodes = new ArrayList<>(g.nodes());
      AtomicLongArray acked = new AtomicLongArray(KEYS);
      for (int i = 0; i < KEYS; i++) {
        URI node = nodes.get(i % 3);
        String key = key(i);
        SetUp.until(
            "put " + key, SetUp.DEADLINE, () -> put(g, node, key, "v0", "quorum"), Reply::ok);
      }

      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<String> stale = new ConcurrentLinkedQueue<>();
      AtomicInteger reads = new AtomicInteger();
      AtomicInteger readErrors = new AtomicInteger();
      List<URI> coordinators = new ArrayList<>(nodes);
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (long round = 1; !stop.get(); round++) {
                      for (int i = 0; i < KEYS && !stop.get(); i += 5) {
                        Reply r = put(g, pick(coordinators), key(i), "v" + round, "quorum");
                        if (r.ok()) {
                          acked.accumulateAndGet(i, round, Math::max);
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
                      URI node = pick(coordinators);
                      Reply r = get(g, node, key(i), "quorum");
                      if (!r.ok()) {
                        readErrors.incrementAndGet();
                        continue;
                      }
                      reads.incrementAndGet();
                      if (version(r) < before) {
                        stale.add(key(i) + " via " + node + ": " + r.describe() + " < v" + before);
                      }
                    }
                  });

      int readsBefore = reads.get();
      ChaosNode fourth = cluster.join();
      Gateways all = ApKillFaultTest.gateways(cluster);
      synchronized (coordinators) {
        coordinators.add(fourth.gateway());
      }
      String newcomer = "pekko://cohort@" + fourth.host() + ":" + fourth.remotePort();
      for (URI node : all.nodes()) {
        ChaosCluster.awaitUntil(
            Duration.ofSeconds(120),
            "the 4th node serves reads in the view of " + node,
            () -> servesReads(all, node, newcomer),
            cluster);
      }
      int readsDuringJoin = reads.get() - readsBefore;
      int readsAfter = reads.get();
      ChaosCluster.awaitUntil(
          SetUp.DEADLINE, "reads after the join", () -> reads.get() > readsAfter + 100, cluster);
      stop.set(true);
      writer.join();
      reader.join();
      assertTrue(
          stale.isEmpty(),
          "stale quorum reads: " + stale + " (of " + reads + " reads; failed: " + readErrors + ")");
      assertTrue(readsDuringJoin > 0, "no read ran while the 4th node joined");

      int onNewcomer = 0;
      for (int i = 0; i < KEYS; i++) {
        if (endpoints(all, fourth.gateway(), i).body().toString().contains(newcomer)) {
          onNewcomer++;
          Reply own = get(all, fourth.gateway(), key(i), "one");
          assertTrue(
              version(own) >= acked.get(i),
              key(i) + " on the 4th node: " + own.describe() + ", acknowledged v" + acked.get(i));
        }
      }
      assertTrue(onNewcomer > KEYS / 2, "the 4th node replicates about 3/4 of the keys");

      ChaosNode leaving = cluster.nodes().get(1);
      Reply leave =
          ChaosHttp.put(
              all,
              nodes.get(0),
              "/v1/cluster/members/" + leaving.host() + ":" + leaving.remotePort(),
              ChaosHttp.object().put("operation", "leave"));
      assertTrue(leave.ok(), leave.describe());
      cluster.retire(leaving);
      ChaosCluster.awaitUntil(
          SetUp.DEADLINE, "the decommissioned node exits", () -> !leaving.alive(), cluster);
      cluster.awaitHealthy(ChaosCluster.START);
      List<URI> remaining = cluster.gateways();
      Gateways left = ApKillFaultTest.gateways(cluster);
      for (int i = 0; i < KEYS; i++) {
        Reply atAll = get(left, remaining.get(0), key(i), "all");
        assertTrue(
            atAll.ok() && version(atAll) >= acked.get(i),
            key(i) + " at all: " + atAll.describe() + ", acknowledged v" + acked.get(i));
        for (URI node : remaining) {
          Reply own = get(left, node, key(i), "one");
          assertTrue(
              version(own) >= acked.get(i),
              key(i) + " on " + node + ": " + own.describe() + ", acknowledged v" + acked.get(i));
        }
      }
    }
  }

  /** Whether {@code node} lists the newcomer among the replicas of some key (it reads from it). */
  private static boolean servesReads(Gateways g, URI node, String newcomer) {
    for (int i = 0; i < KEYS; i++) {
      Reply where = endpoints(g, node, i);
      if (where.ok() && where.body().toString().contains(newcomer)) {
        return true;
      }
    }
    return false;
  }

  private static Reply endpoints(Gateways g, URI node, int i) {
    return ChaosHttp.get(
        g,
        node,
        "/v1/kv/" + ApKillFaultTest.KEYSPACE + "/endpoints?key=" + ChaosHttp.query(key(i)));
  }

  private static URI pick(List<URI> nodes) {
    synchronized (nodes) {
      return nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
    }
  }
}
