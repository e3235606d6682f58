package dev.cohort.kv.ap.internal;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Which nodes are on this node's placement ring, and which of them are alive (serving, reachable,
 * and with their replica listed by the receptionist: see {@link ApReplica#KEY}). The ring holds the
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
 *
 * <p><b>Range movements</b> (Cassandra's pending ranges). The <em>natural</em> placement, which
 * reads use, holds the ring's nodes that have streamed their ranges ({@link ApCatalog#ready}; a
 * joining node is <em>pending</em> until {@link ApStreaming} marks it). The <em>target</em>
 * placement is where the ring is going: pending joiners in, leaving and exiting members out. A
 * write goes to the key's replicas in both, and for {@code settle} after the natural placement
 * changed also to its replicas in the previous one that are still on the ring (nodes learn a change
 * at slightly different times), and needs one more acknowledgement per replica beyond the natural
 * ones ({@link WriteSet}), so that a level met on one placement is met on each. If no node of the
 * ring is ready (a new cluster, or one written before streaming existed), every node but a pending
 * self is natural. Thread-safe.
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

  /**
   * A key's replicas for a write: the natural ones first, then those only pending placements add.
   */
  record WriteSet(List<String> natural, List<String> all) {}

  /**
   * Node address → its replica, for the nodes whose replica is registered (listed) and reachable.
   */
  private volatile Map<String, ActorRef<ApReplica.Command>> listed = Map.of();

  private final ApCatalog catalog;
  private final String self;
  private final long settleMillis;
  private volatile ApPlacement natural;
  private volatile ApPlacement target;
  private volatile ApPlacement previous;
  private volatile long naturalSince;

  ApRing(
      Cluster cluster,
      ApCatalog catalog,
      int virtualNodes,
      long windowMillis,
      long settleMillis,
      LongSupplier clock) {
    this.cluster = cluster;
    this.catalog = catalog;
    this.self = cluster.selfAddress().toString();
    this.virtualNodes = virtualNodes;
    this.windowMillis = windowMillis;
    this.settleMillis = settleMillis;
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

  /** Every node on the ring: natural, pending joiners, leaving members and departed nodes. */
  List<String> nodes() {
    return List.copyOf(ringNodes(false));
  }

  private Set<String> ringNodes(boolean withoutLeaving) {
    Set<String> nodes = new TreeSet<>(departed.keySet());
    for (Member m : cluster.state().getMembers()) {
      if (onRing(m.status()) && !(withoutLeaving && leaving(m.status()))) {
        nodes.add(address(m));
      }
    }
    if (nodes.isEmpty()) {
      nodes.add(self);
    }
    return nodes;
  }

  private static boolean leaving(MemberStatus s) {
    return s == MemberStatus.leaving() || s == MemberStatus.exiting();
  }

  /** Whether {@code node} has not streamed its ranges yet (reads do not use it). */
  boolean pending(String node) {
    return !catalog.ready(node) && (node.equals(self) || catalog.anyReady());
  }

  /** The natural placement, which reads use; rebuilt only when its nodes change. */
  ApPlacement placement() {
    Set<String> all = ringNodes(false);
    Set<String> nodes = new TreeSet<>(all);
    nodes.removeIf(this::pending);
    ApPlacement current = natural;
    List<String> wanted = List.copyOf(nodes.isEmpty() ? all : nodes);
    if (current == null || !current.nodes().equals(wanted)) {
      previous = current;
      naturalSince = clock.getAsLong();
      current = new ApPlacement(wanted, virtualNodes);
      natural = current;
    }
    return current;
  }

  /**
   * The placement once pending joiners have streamed and leaving members have left. A departed node
   * that never finished streaming holds nothing worth waiting for: it is left out.
   */
  ApPlacement target() {
    Set<String> nodes = ringNodes(true);
    nodes.removeIf(n -> departed.containsKey(n) && pending(n));
    ApPlacement current = target;
    if (current == null || !current.nodes().equals(List.copyOf(nodes))) {
      current = new ApPlacement(nodes, virtualNodes);
      target = current;
    }
    return current;
  }

  /** Where a write of {@code key} goes (see the class comment). */
  WriteSet writeSet(String key, int rf) {
    List<String> naturalReplicas = placement().replicas(key, rf);
    Set<String> all = new LinkedHashSet<>(naturalReplicas);
    all.addAll(target().replicas(key, rf));
    ApPlacement before = previous;
    if (before != null && clock.getAsLong() - naturalSince < settleMillis) {
      Set<String> onRing = ringNodes(false);
      for (String node : before.replicas(key, rf)) {
        if (onRing.contains(node)) {
          all.add(node);
        }
      }
    }
    return new WriteSet(naturalReplicas, List.copyOf(all));
  }

  /**
   * Whether {@code node} is a member that serves, that this node's failure detector trusts, and
   * whose replica is registered (another node's replica starts a little after the node is up).
   */
  boolean alive(String node) {
    if (!node.equals(self) && !listed.containsKey(node)) {
      return false;
    }
    var state = cluster.state();
    for (Member m : state.getMembers()) {
      if (address(m).equals(node)) {
        return serving(m.status()) && !state.getUnreachable().contains(m);
      }
    }
    return false;
  }

  /** Replaces the registered replicas with the receptionist's latest listing. */
  void listed(Set<ActorRef<ApReplica.Command>> replicas) {
    Map<String, ActorRef<ApReplica.Command>> byNode = new HashMap<>();
    for (ActorRef<ApReplica.Command> r : replicas) {
      byNode.put(r.path().address().toString(), r);
    }
    listed = Map.copyOf(byNode);
  }

  /** The registered replica of {@code node}, or null when none is listed. */
  ActorRef<ApReplica.Command> replicaOf(String node) {
    return listed.get(node);
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
