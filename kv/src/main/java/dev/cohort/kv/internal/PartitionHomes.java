package dev.cohort.kv.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Where this node last heard each partition answer from, so that requests for a partition whose
 * node has become unreachable fail at once instead of waiting, lost, for their timeout: Cluster
 * Sharding keeps sending to a shard's home until that node is downed and removed (about 3.5 s after
 * it stopped answering), and every message sent there meanwhile is lost.
 *
 * <p>Invariants: a home is only a hint. It is learnt from the partition's own answers and may be
 * out of date (the shard moved since), so it only ever turns a request away while its node is a
 * member this node sees unreachable, which the split-brain resolver ends within its stable-after;
 * once that node is removed, requests go through Cluster Sharding again, which buffers them until
 * the partition has its new home. Thread-safe.
 */
final class PartitionHomes {
  private final Map<String, Address> homes = new ConcurrentHashMap<>();
  private final Cluster cluster;

  PartitionHomes(ActorSystem<?> system) {
    this.cluster = Cluster.get(system);
  }

  /** Records that partition {@code entityId} answered from {@code node} (null: unknown). */
  void answeredFrom(String entityId, String node) {
    if (node != null) {
      homes.put(entityId, AddressFromURIString.parse(node));
    }
  }

  /** Whether {@code entityId}'s last known node is a member this node sees unreachable now. */
  boolean unreachable(String entityId) {
    CurrentClusterState state = cluster.state();
    if (state.unreachable().isEmpty()) {
      return false;
    }
    Address home = homes.get(entityId);
    if (home == null) {
      return false;
    }
    for (Member member : state.getUnreachable()) {
      if (member.address().equals(home)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code entityId}'s last known node has left the membership (downed and removed, or
   * gone): whatever was sent there is lost, and the partition is about to start elsewhere.
   */
  boolean departed(String entityId) {
    Address home = homes.get(entityId);
    if (home == null) {
      return false;
    }
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(home)) {
        return false;
      }
    }
    return true;
  }
}
