package dev.cohort.kv.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
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

  /**
   * The members and unreachable members of the last cluster view seen, rebuilt only when the view
   * changes: the batcher asks on every write to a partition with a batch in flight.
   */
  private volatile Membership membership = new Membership(null, Set.of(), Set.of());

  private record Membership(
      CurrentClusterState view, Set<Address> members, Set<Address> unreachable) {}

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
    Address home = homes.get(entityId);
    return home != null && membership().unreachable().contains(home);
  }

  /**
   * Whether {@code entityId}'s last known node has left the membership (downed and removed, or
   * gone): whatever was sent there is lost, and the partition is about to start elsewhere.
   */
  boolean departed(String entityId) {
    Address home = homes.get(entityId);
    return home != null && !membership().members().contains(home);
  }

  private Membership membership() {
    CurrentClusterState view = cluster.state();
    Membership known = membership;
    if (known.view() == view) {
      return known;
    }
    Set<Address> members = new HashSet<>();
    view.getMembers().forEach(m -> members.add(m.address()));
    Set<Address> unreachable = new HashSet<>();
    view.getUnreachable().forEach(m -> unreachable.add(m.address()));
    Membership rebuilt = new Membership(view, Set.copyOf(members), Set.copyOf(unreachable));
    membership = rebuilt;
    return rebuilt;
  }
}
