package dev.cohort.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConsistentHashRingTest {
  private static final List<String> SHARDS =
      IntStream.range(0, 10_000).mapToObj(Integer::toString).toList();

  private static List<String> nodes(int n) {
    List<String> nodes = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      nodes.add("pekko://cohort@10.0.0." + i + ":2552");
    }
    return nodes;
  }

  private static Map<String, String> place(ConsistentHashRing ring) {
    Map<String, String> placement = new HashMap<>();
    SHARDS.forEach(s -> placement.put(s, ring.nodeFor(s)));
    return placement;
  }

  @Test
  void samePlacementForTheSameMembershipInAnyOrder() {
    List<String> reversed = new ArrayList<>(nodes(5));
    java.util.Collections.reverse(reversed);
    assertEquals(
        place(new ConsistentHashRing(nodes(5), 150)), place(new ConsistentHashRing(reversed, 150)));
  }

  @Test
  void aJoiningNodeTakesAboutAQuarterAndOnlyForItself() {
    Map<String, String> before = place(new ConsistentHashRing(nodes(3), 150));
    Map<String, String> after = place(new ConsistentHashRing(nodes(4), 150));
    int moved = 0;
    for (String shard : SHARDS) {
      if (!before.get(shard).equals(after.get(shard))) {
        moved++;
        assertEquals(nodes(4).get(3), after.get(shard), "a shard moved between two old nodes");
      }
    }
    double fraction = moved / (double) SHARDS.size();
    assertTrue(fraction > 0.25 / 1.5 && fraction < 0.25 * 1.5, "moved fraction " + fraction);
  }

  @Test
  void aLeavingNodeGivesUpOnlyItsOwnShards() {
    List<String> four = nodes(4);
    Map<String, String> before = place(new ConsistentHashRing(four, 150));
    Map<String, String> after = place(new ConsistentHashRing(four.subList(0, 3), 150));
    int moved = 0;
    for (String shard : SHARDS) {
      if (!before.get(shard).equals(after.get(shard))) {
        moved++;
        assertEquals(four.get(3), before.get(shard), "a shard of a staying node moved");
      }
    }
    double fraction = moved / (double) SHARDS.size();
    assertTrue(fraction > 0.25 / 1.5 && fraction < 0.25 * 1.5, "moved fraction " + fraction);
  }

  @Test
  void virtualNodesSpreadShardsEvenly() {
    for (int n : new int[] {3, 5, 10}) {
      Map<String, Integer> counts = new HashMap<>();
      place(new ConsistentHashRing(nodes(n), 150))
          .values()
          .forEach(node -> counts.merge(node, 1, Integer::sum));
      double mean = SHARDS.size() / (double) n;
      double max = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
      assertEquals(n, counts.size());
      assertTrue(max / mean < 1.3, n + " nodes: max/mean " + max / mean);
    }
  }

  /** Replicas: the owner first, then the next distinct owners clockwise; capped by the ring. */
  @Test
  void nodesForStartsWithTheOwnerAndNamesDistinctNodes() {
    ConsistentHashRing ring = new ConsistentHashRing(List.of("a", "b", "c", "d"), 16);
    for (int i = 0; i < 1_000; i++) {
      String key = "key-" + i;
      List<String> three = ring.nodesFor(key, 3);
      assertEquals(ring.nodeFor(key), three.getFirst());
      assertEquals(3, three.stream().distinct().count());
      assertEquals(three.subList(0, 2), ring.nodesFor(key, 2), "a prefix of the longer list");
      assertEquals(4, ring.nodesFor(key, 9).size());
      assertEquals(three, ring.nodesForToken(ConsistentHashRing.token(key), 3));
    }
  }
}
