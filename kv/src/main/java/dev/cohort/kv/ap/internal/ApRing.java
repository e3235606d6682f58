package dev.cohort.kv.ap.internal;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Which nodes are on this node's placement ring, and which of them are alive. The ring holds the
 * cluster's members (joining, up, leaving, exiting, or down but not yet removed) and the
 * <em>departed</em> nodes: members the cluster removed after downing them (a crash, the split-brain
 * resolver), kept on the ring for {@code hints.window} as Cassandra keeps a dead node's tokens, so
 * that a crash does not move keys (a write for a dead replica becomes a hint and {@code all} stays
 * unavailable). A node that leaves gracefully, or has been departed longer than the window, is off
 * the ring; repair then re-replicates its ranges. A node that comes back is a member again.
 *
 * <p>Departed nodes are exchanged between nodes with the catalog ({@link ApMaintenance}), so that a
 * node that started after the removal converges to the same ring. They are kept in memory only: a
 * node restarted while another is departed learns it from the others within a gossip interval.
 * Thread-safe.
 */
final class ApRing {
  private final Cluster cluster;
  private final int virtualNodes;
  private final long windowMillis;
  private final LongSupplier clock;

  /** Departed node address → when it was removed (wall-clock millis). */
  private final Map<String, Long> departed = new ConcurrentHashMap<>();

  /** Unreachable or departed node address → since when, for the hint window. */
  private final Map<String, Long> downSince = new ConcurrentHashMap<>();

  private volatile ApPlacement placement;

  ApRing(Cluster cluster, int virtualNodes, long windowMillis, LongSupplier clock) {
    this.cluster = cluster;
    this.virtualNodes = virtualNodes;
    this.windowMillis = windowMillis;
    this.clock = clock;
  }

  static String address(Member m) {
    return m.address().toString();
  }

  /** Joining members are on the ring (writes for them become hints until they serve). */
  private static boolean onRing(MemberStatus s) {
    return s == MemberStatus.joining()
        || s == MemberStatus.up()
        || s == MemberStatus.weaklyUp()
        || s == MemberStatus.leaving()
        || s == MemberStatus.exiting()
        || s == MemberStatus.down();
  }

  private static boolean serving(MemberStatus s) {
    return s == MemberStatus.up()
        || s == MemberStatus.weaklyUp()
        || s == MemberStatus.leaving()
        || s == MemberStatus.exiting();
  }

  /** The placement for the current ring; rebuilt only when the ring's nodes change. */
  ApPlacement placement() {
    Set<String> nodes = new TreeSet<>(departed.keySet());
    for (Member m : cluster.state().getMembers()) {
      if (onRing(m.status())) {
        nodes.add(address(m));
      }
    }
    if (nodes.isEmpty()) {
      nodes.add(cluster.selfAddress().toString());
    }
    ApPlacement current = placement;
    if (current == null || !current.nodes().equals(java.util.List.copyOf(nodes))) {
      current = new ApPlacement(nodes, virtualNodes);
      placement = current;
    }
    return current;
  }

  /** Whether {@code node} is a member that serves and that this node's failure detector trusts. */
  boolean alive(String node) {
    var state = cluster.state();
    for (Member m : state.getMembers()) {
      if (address(m).equals(node)) {
        return serving(m.status()) && !state.getUnreachable().contains(m);
      }
    }
    return false;
  }

  /** Whether a write missed by {@code node} should still become a hint. */
  boolean withinHintWindow(String node) {
    Long since = downSince.get(node);
    return since == null || clock.getAsLong() - since < windowMillis;
  }

  /**
   * Records that the cluster removed {@code node} after downing it (or learnt so from a peer);
   * ignored while it serves (it came back). A new incarnation that is still joining does not count:
   * the removed one departed, and the node stays on the ring either way.
   */
  void departed(String node, long atMillis) {
    for (Member m : cluster.state().getMembers()) {
      if (address(m).equals(node) && serving(m.status())) {
        return;
      }
    }
    departed.merge(node, atMillis, Math::min);
    downSince.merge(node, atMillis, Math::min);
  }

  /** Records that {@code node} left gracefully or is a member again: it is no longer departed. */
  void returned(String node) {
    departed.remove(node);
    downSince.remove(node);
  }

  Map<String, Long> departedNodes() {
    return Map.copyOf(departed);
  }

  /**
   * Brings the down-since times up to date with the failure detector, and takes nodes departed
   * longer than the hint window off the ring; answers the nodes taken off.
   */
  Set<String> refresh() {
    long now = clock.getAsLong();
    var state = cluster.state();
    Set<String> unreachable = new TreeSet<>();
    state.getUnreachable().forEach(m -> unreachable.add(address(m)));
    for (String node : unreachable) {
      downSince.putIfAbsent(node, now);
    }
    downSince.keySet().removeIf(n -> !unreachable.contains(n) && !departed.containsKey(n));
    Set<String> expired = new TreeSet<>();
    departed.forEach(
        (node, at) -> {
          if (now - at >= windowMillis) {
            expired.add(node);
          }
        });
    expired.forEach(this::returned);
    return expired;
  }
}
