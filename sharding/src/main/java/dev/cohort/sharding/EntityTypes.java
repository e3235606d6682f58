package dev.cohort.sharding;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * Registers an entity type with Cluster Sharding the Cohort way: shards placed by a {@link
 * RingAllocationStrategy} (consistent hashing with virtual nodes), so that a node joining or
 * leaving moves only the shards the ring moves. Every Cohort entity type should be initialised
 * through here.
 */
public final class EntityTypes {
  private EntityTypes() {}

  public static <M> ActorRef<ShardingEnvelope<M>> init(
      ActorSystem<?> system, Entity<M, ShardingEnvelope<M>> entity) {
    ShardingSettings settings = ShardingSettings.create(system.settings().config());
    return ClusterSharding.get(system)
        .init(
            entity.withAllocationStrategy(
                new RingAllocationStrategy(
                    entity.typeKey().name(),
                    settings.virtualNodes(),
                    settings.maxSimultaneousRebalance())));
  }
}
