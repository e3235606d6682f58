package dev.cohort.sharding;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * A consistent-hash ring with virtual nodes: each node owns {@code virtualNodes} points on a 64-bit
 * ring, and a key belongs to the node owning the first point at or after the key's hash. When a
 * node joins or leaves, only the keys between its points and their predecessors move — about 1/n of
 * them — instead of almost all, as with {@code hash % n}.
 *
 * <p>Placement depends only on the set of node names and the virtual-node count, so every member
 * computes the same placement for the same membership. The hash is 64-bit FNV-1a followed by
 * MurmurHash3's 64-bit finalizer (fast, and well mixed in every bit). Immutable and thread-safe.
 */
public final class ConsistentHashRing {
  private final long[] points;
  private final String[] owners;
  private final List<String> nodes;

  /**
   * @param nodes node names (for cluster members: their addresses); duplicates are ignored
   * @param virtualNodes points per node, at least 1 (more points: a more even spread)
   */
  public ConsistentHashRing(Collection<String> nodes, int virtualNodes) {
    if (virtualNodes < 1) {
      throw new IllegalArgumentException("virtualNodes must be at least 1, got " + virtualNodes);
    }
    this.nodes = List.copyOf(new TreeSet<>(nodes));
    int size = this.nodes.size() * virtualNodes;
    long[] hashes = new long[size];
    String[] names = new String[size];
    Integer[] order = new Integer[size];
    int i = 0;
    for (String node : this.nodes) {
      for (int v = 0; v < virtualNodes; v++) {
        hashes[i] = hash(node + "#" + v);
        names[i] = node;
        order[i] = i;
        i++;
      }
    }
    // Equal hashes (vanishingly rare) are ordered by node name so every member agrees.
    Arrays.sort(
        order,
        (a, b) ->
            hashes[a] != hashes[b]
                ? Long.compareUnsigned(hashes[a], hashes[b])
                : names[a].compareTo(names[b]));
    points = new long[size];
    owners = new String[size];
    for (int k = 0; k < size; k++) {
      points[k] = hashes[order[k]];
      owners[k] = names[order[k]];
    }
  }

  /** The node that owns {@code key}; fails on an empty ring. */
  public String nodeFor(String key) {
    if (points.length == 0) {
      throw new IllegalStateException("the ring has no nodes");
    }
    return owners[firstPointAtOrAfter(hash(key))];
  }

  /**
   * The first {@code count} distinct nodes clockwise from {@code key}'s token (fewer when the ring
   * has fewer nodes): Cassandra's replica placement (SimpleStrategy) on this ring. The first is
   * {@link #nodeFor}; each further one is the owner of the next point that belongs to a node not
   * yet chosen.
   */
  public List<String> nodesFor(String key, int count) {
    return nodesForToken(token(key), count);
  }

  /** {@link #nodesFor} for a token (a value of {@link #token}). */
  public List<String> nodesForToken(long token, int count) {
    if (points.length == 0) {
      throw new IllegalStateException("the ring has no nodes");
    }
    int wanted = Math.min(count, nodes.size());
    List<String> chosen = new ArrayList<>(wanted);
    int start = firstPointAtOrAfter(token);
    for (int k = 0; k < points.length && chosen.size() < wanted; k++) {
      String owner = owners[(start + k) % points.length];
      if (!chosen.contains(owner)) {
        chosen.add(owner);
      }
    }
    return List.copyOf(chosen);
  }

  /**
   * The ring's points in token order (unsigned). Point {@code i} closes the token range {@code
   * (points[i-1], points[i]]} (the first point closes the range that wraps around); every token in
   * one range has the same {@link #nodesForToken} placement.
   */
  public long[] points() {
    return points.clone();
  }

  /** A key's position on the ring: the hash that {@link #nodeFor} places. */
  public static long token(String key) {
    return hash(key);
  }

  private int firstPointAtOrAfter(long h) {
    int low = 0;
    int high = points.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (Long.compareUnsigned(points[mid], h) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low == points.length ? 0 : low;
  }

  /** The ring's nodes, sorted. */
  public List<String> nodes() {
    return nodes;
  }

  /** 64-bit FNV-1a of the UTF-8 bytes, then MurmurHash3's fmix64. */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix64(h);
  }

  /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
  public static long mix64(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
