package dev.cohort.kv.ap.internal;

import dev.cohort.sharding.ConsistentHashRing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Where AP keys live for one membership: sharding's consistent-hash ring over the nodes' addresses
 * with virtual nodes; a key's replicas are the first {@code rf} distinct nodes clockwise from its
 * token (Cassandra's SimpleStrategy). Immutable and thread-safe; every node computes the same
 * placement for the same membership.
 */
final class ApPlacement {
  /** A token range {@code (fromExclusive, toInclusive]} of the ring and its replicas in order. */
  record Range(long fromExclusive, long toInclusive, List<String> replicas) {}

  /**
   * A token range with its replicas on this placement ({@code from}) and on another ({@code to}).
   */
  record Movement(long fromExclusive, long toInclusive, List<String> from, List<String> to) {}

  private final ConsistentHashRing ring;
  private final int virtualNodes;

  ApPlacement(Collection<String> nodes, int virtualNodes) {
    this.ring = new ConsistentHashRing(nodes, virtualNodes);
    this.virtualNodes = virtualNodes;
  }

  static long token(String key) {
    return ConsistentHashRing.token(key);
  }

  List<String> nodes() {
    return ring.nodes();
  }

  int virtualNodes() {
    return virtualNodes;
  }

  /** The key's replicas, primary first; fewer than {@code rf} when the ring has fewer nodes. */
  List<String> replicas(String key, int rf) {
    return ring.nodesForToken(token(key), rf);
  }

  /** Every range of the ring with its {@code rf} replicas, in token order. */
  List<Range> ranges(int rf) {
    long[] points = ring.points();
    List<Range> ranges = new ArrayList<>(points.length);
    for (int i = 0; i < points.length; i++) {
      long from = points[(i + points.length - 1) % points.length];
      ranges.add(new Range(from, points[i], ring.nodesForToken(points[i], rf)));
    }
    return ranges;
  }

  /**
   * The ranges cut by the points of both this ring and {@code other}, each with its replicas on
   * both, in token order. Inside one such range neither ring has a point, so every token of it has
   * the replicas of its upper bound on each ring.
   */
  List<Movement> movements(ApPlacement other, int rf) {
    TreeSet<Long> cuts = new TreeSet<>(Long::compareUnsigned);
    for (long p : ring.points()) {
      cuts.add(p);
    }
    for (long p : other.ring.points()) {
      cuts.add(p);
    }
    long[] points = cuts.stream().mapToLong(Long::longValue).toArray();
    List<Movement> movements = new ArrayList<>(points.length);
    for (int i = 0; i < points.length; i++) {
      long from = points[(i + points.length - 1) % points.length];
      movements.add(
          new Movement(
              from,
              points[i],
              ring.nodesForToken(points[i], rf),
              other.ring.nodesForToken(points[i], rf)));
    }
    return movements;
  }
}
