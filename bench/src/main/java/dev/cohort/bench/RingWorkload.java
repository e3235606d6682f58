package dev.cohort.bench;

import dev.cohort.sharding.ConsistentHashRing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Shard movement and spread of the consistent-hash allocation ring: the fraction of shards that
 * move when a 4th node joins 3 and when one of 4 leaves (ideal 1/4), and max/mean shards per node
 * for 3, 5 and 10 nodes.
 */
final class RingWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "consistent-hash shard placement; shards=100 vnodes=150";
  }

  @Override
  public void run(Bench.Params params) {
    int shards = params.intValue("shards", 100);
    int vnodes = params.intValue("vnodes", 150);
    System.out.printf(
        "bench=ring_movement change=join_4th_of_3 shards=%d vnodes=%d moved_fraction=%.3f ideal=0.250%n",
        shards, vnodes, moved(nodes(3), nodes(4), shards, vnodes));
    System.out.printf(
        "bench=ring_movement change=leave_1_of_4 shards=%d vnodes=%d moved_fraction=%.3f ideal=0.250%n",
        shards, vnodes, moved(nodes(4), nodes(3), shards, vnodes));
    for (int n : new int[] {3, 5, 10}) {
      Map<String, Integer> counts = new HashMap<>();
      ConsistentHashRing ring = new ConsistentHashRing(nodes(n), vnodes);
      for (int s = 0; s < shards; s++) {
        counts.merge(ring.nodeFor(Integer.toString(s)), 1, Integer::sum);
      }
      int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
      System.out.printf(
          "bench=ring_spread nodes=%d shards=%d vnodes=%d max_over_mean=%.3f%n",
          n, shards, vnodes, max / (shards / (double) n));
    }
  }

  private static double moved(List<String> from, List<String> to, int shards, int vnodes) {
    ConsistentHashRing before = new ConsistentHashRing(from, vnodes);
    ConsistentHashRing after = new ConsistentHashRing(to, vnodes);
    int moved = 0;
    for (int s = 0; s < shards; s++) {
      if (!before.nodeFor(Integer.toString(s)).equals(after.nodeFor(Integer.toString(s)))) {
        moved++;
      }
    }
    return moved / (double) shards;
  }

  private static List<String> nodes(int n) {
    List<String> nodes = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      nodes.add("pekko://cohort@10.0.0." + i + ":2552");
    }
    return nodes;
  }
}
