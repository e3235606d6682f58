package dev.cohort.sharding;

import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places shards on the node that owns them on a {@link ConsistentHashRing} of the current shard
 * regions (one per member hosting the entity type). A shard is allocated to its ring owner; a
 * rebalance moves only the shards whose owner changed because a node joined or left — about 1/n of
 * them — at most {@code maxSimultaneousRebalance} at a time.
 *
 * <p>Used by the shard coordinator, one instance per entity type; not thread-safe (the coordinator
 * calls it from one actor).
 */
public final class RingAllocationStrategy extends ShardCoordinator.AbstractShardAllocationStrategy
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {
  private final String entityType;
  private final int virtualNodes;
  private final int maxSimultaneousRebalance;
  private Address selfAddress;
  private Counter rebalanced;
  private Set<String> ringNodes = Set.of();
  private ConsistentHashRing ring;

  public RingAllocationStrategy(String entityType, int virtualNodes, int maxSimultaneousRebalance) {
    this.entityType = entityType;
    this.virtualNodes = virtualNodes;
    this.maxSimultaneousRebalance = maxSimultaneousRebalance;
  }

  @Override
  public void start(ActorSystem system) {
    selfAddress = Cluster.get(system).selfAddress();
    rebalanced =
        Metrics.get(Adapter.toTyped(system))
            .counter(
                "cohort_sharding_rebalanced_shards",
                "Shards the consistent-hash allocation moved between nodes, by entity type",
                "entity_type");
    // The series exists from the start (at zero), so that rate() and increase() over it see the
    // first rebalance instead of a series appearing at its first value.
    rebalanced.labelValues(entityType);
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    Map<String, ActorRef> regions = regionsByNode(current.keySet());
    ActorRef owner = regions.get(ring(regions.keySet()).nodeFor(shardId));
    return Futures.successful(owner != null ? owner : requester);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> current, Set<String> rebalanceInProgress) {
    Map<String, ActorRef> regions = regionsByNode(current.keySet());
    if (regions.isEmpty()) {
      return Futures.successful(Set.of());
    }
    ConsistentHashRing placement = ring(regions.keySet());
    Set<String> moves = new HashSet<>();
    for (Map.Entry<ActorRef, IndexedSeq<String>> entry : current.entrySet()) {
      String node = nodeOf(entry.getKey());
      scala.collection.Iterator<String> shards = entry.getValue().iterator();
      while (shards.hasNext() && moves.size() < maxSimultaneousRebalance) {
        String shard = shards.next();
        if (!rebalanceInProgress.contains(shard) && !placement.nodeFor(shard).equals(node)) {
          moves.add(shard);
        }
      }
    }
    if (rebalanced != null && !moves.isEmpty()) {
      rebalanced.labelValues(entityType).inc(moves.size());
    }
    return Futures.successful(moves);
  }

  private ConsistentHashRing ring(Set<String> nodes) {
    if (ring == null || !ringNodes.equals(nodes)) {
      ringNodes = Set.copyOf(nodes);
      ring = new ConsistentHashRing(nodes, virtualNodes);
    }
    return ring;
  }

  private Map<String, ActorRef> regionsByNode(Set<ActorRef> regions) {
    Map<String, ActorRef> byNode = new HashMap<>();
    List<ActorRef> sorted = new ArrayList<>(regions);
    sorted.sort(ActorRef::compareTo);
    for (ActorRef region : sorted) {
      byNode.putIfAbsent(nodeOf(region), region);
    }
    return byNode;
  }

  /** The member address of a region; a local ref's address lacks host and port. */
  private String nodeOf(ActorRef region) {
    Address address = region.path().address();
    return (address.hasGlobalScope() || selfAddress == null ? address : selfAddress).toString();
  }
}
