package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Replica placement on the ring: Cassandra's SimpleStrategy over sharding's ring. */
class ApPlacementTest {
  private static final List<String> THREE =
      List.of(
          "pekko://cohort@127.0.0.1:2552",
          "pekko://cohort@127.0.0.2:2552",
          "pekko://cohort@127.0.0.3:2552");
  private static final String FOURTH = "pekko://cohort@127.0.0.4:2552";

  /** The replicas of a key are the owners of the first distinct nodes' points after its token. */
  @Test
  void replicasAreTheFirstDistinctNodesClockwiseFromTheToken() {
    ApPlacement p = new ApPlacement(THREE, 16);
    List<ApPlacement.Range> ranges = p.ranges(2);
    assertEquals(48, ranges.size());
    for (int i = 0; i < 2_000; i++) {
      String key = "key-" + i;
      List<String> replicas = p.replicas(key, 2);
      assertEquals(2, replicas.size());
      assertEquals(2, new HashSet<>(replicas).size(), "distinct");
      assertEquals(rangeOf(ranges, ApPlacement.token(key)).replicas(), replicas, key);
      assertEquals(THREE.size(), p.replicas(key, 5).size(), "capped by the ring's size");
    }
    assertEquals(
        p.replicas("x", 3),
        new ApPlacement(List.of(THREE.get(2), THREE.get(0), THREE.get(1)), 16).replicas("x", 3),
        "placement depends on the node set only");
  }

  /**
   * A 4th node takes over only what the ring gives it: a key whose replicas changed now has the new
   * node among them in place of exactly one old replica, and every other key keeps its replicas.
   * About RF/4 of the keys move.
   */
  @Test
  void aFourthNodeMovesOnlyTheRangesTheRingGivesIt() {
    ApPlacement before = new ApPlacement(THREE, 16);
    ApPlacement after = new ApPlacement(withFourth(), 16);
    List<ApPlacement.Range> newRanges = after.ranges(2);
    int moved = 0;
    int keys = 20_000;
    for (int i = 0; i < keys; i++) {
      String key = "user/" + i;
      List<String> old = before.replicas(key, 2);
      List<String> now = after.replicas(key, 2);
      ApPlacement.Range range = rangeOf(newRanges, ApPlacement.token(key));
      assertEquals(range.replicas(), now);
      if (!old.equals(now)) {
        moved++;
        assertTrue(now.contains(FOURTH), key + ": " + old + " -> " + now);
        Set<String> kept = new HashSet<>(now);
        kept.remove(FOURTH);
        assertTrue(old.containsAll(kept), key + ": " + old + " -> " + now);
      } else {
        assertTrue(!now.contains(FOURTH));
      }
    }
    double share = moved / (double) keys;
    assertTrue(
        share > 0.3 && share < 0.7, "share moved " + share + " (RF 2 of 4 nodes: about 0.5)");
  }

  /**
   * The movements between the 3-node ring and the 4-node ring cover the ring once, and every key
   * has, on each side, the replicas of the movement that holds its token: what a joining node
   * fetches (and a leaving node sends) per movement is exactly what changes owner.
   */
  @Test
  void movementsCarryEachKeysReplicasOnBothRings() {
    ApPlacement before = new ApPlacement(THREE, 16);
    ApPlacement after = new ApPlacement(withFourth(), 16);
    List<ApPlacement.Movement> movements = before.movements(after, 3);
    assertEquals(64, movements.size(), "the union of both rings' points");
    List<ApPlacement.Range> asRanges = new ArrayList<>();
    for (ApPlacement.Movement m : movements) {
      asRanges.add(new ApPlacement.Range(m.fromExclusive(), m.toInclusive(), List.of()));
    }
    int gained = 0;
    for (int i = 0; i < 20_000; i++) {
      String key = "k" + i;
      long token = ApPlacement.token(key);
      ApPlacement.Movement m = movements.get(asRanges.indexOf(rangeOf(asRanges, token)));
      assertEquals(before.replicas(key, 3), m.from(), key);
      assertEquals(after.replicas(key, 3), m.to(), key);
      if (m.to().contains(FOURTH)) {
        gained++;
      }
    }
    assertTrue(gained > 10_000 && gained < 20_000, "RF 3 of 4: about 3/4 move, got " + gained);
    List<ApPlacement.Movement> leaving = after.movements(before, 3);
    for (int i = 0; i < movements.size(); i++) {
      assertEquals(movements.get(i).from(), leaving.get(i).to(), "leaving mirrors joining");
      assertEquals(movements.get(i).to(), leaving.get(i).from(), "leaving mirrors joining");
    }
  }

  private static List<String> withFourth() {
    List<String> four = new ArrayList<>(THREE);
    four.add(FOURTH);
    return four;
  }

  private static ApPlacement.Range rangeOf(List<ApPlacement.Range> ranges, long token) {
    for (ApPlacement.Range r : ranges) {
      boolean wraps = Long.compareUnsigned(r.fromExclusive(), r.toInclusive()) >= 0;
      boolean inside =
          wraps
              ? Long.compareUnsigned(token, r.fromExclusive()) > 0
                  || Long.compareUnsigned(token, r.toInclusive()) <= 0
              : Long.compareUnsigned(token, r.fromExclusive()) > 0
                  && Long.compareUnsigned(token, r.toInclusive()) <= 0;
      if (inside) {
        return r;
      }
    }
    throw new AssertionError("no range holds " + Long.toUnsignedString(token));
  }
}
