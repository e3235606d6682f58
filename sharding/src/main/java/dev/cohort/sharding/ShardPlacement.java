package dev.cohort.sharding;

import dev.cohort.persistence.AskStages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import scala.concurrent.duration.FiniteDuration;

/**
 * Which node hosts which shards, per entity type, as the cluster's shard regions report it (for
 * {@code GET /v1/cluster/shards}).
 *
 * @param entityType the entity type name
 * @param nodes per member hosting the type: its address, its shard ids (sorted) and the number of
 *     live entities in them
 */
public record ShardPlacement(String entityType, List<NodeShards> nodes) {

  /** The shards one node hosts. */
  public record NodeShards(String address, List<String> shards, long entities) {}

  /** Asks every entity type's region for cluster-wide stats, each bounded by {@code timeout}. */
  public static CompletionStage<List<ShardPlacement>> of(ActorSystem<?> system, Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(Adapter.toClassic(system));
    FiniteDuration within = FiniteDuration.create(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<CompletableFuture<ShardPlacement>> types = new ArrayList<>();
    for (String type : new TreeSet<>(sharding.getShardTypeNames())) {
      types.add(
          AskStages.on(
                  Patterns.ask(
                      sharding.shardRegion(type),
                      new ShardRegion.GetClusterShardingStats(within),
                      timeout.plusSeconds(1)),
                  system.executionContext())
              .thenApply(stats -> of(type, (ShardRegion.ClusterShardingStats) stats)));
    }
    return CompletableFuture.allOf(types.toArray(CompletableFuture[]::new))
        .thenApply(done -> types.stream().map(CompletableFuture::join).toList());
  }

  private static ShardPlacement of(String type, ShardRegion.ClusterShardingStats stats) {
    List<NodeShards> nodes = new ArrayList<>();
    List<Map.Entry<Address, ShardRegion.ShardRegionStats>> regions =
        new ArrayList<>(stats.getRegions().entrySet());
    regions.sort(java.util.Comparator.comparing(e -> e.getKey().toString()));
    for (Map.Entry<Address, ShardRegion.ShardRegionStats> region : regions) {
      Map<String, Object> shards = region.getValue().getStats();
      long entities = shards.values().stream().mapToLong(n -> ((Number) n).longValue()).sum();
      nodes.add(
          new NodeShards(
              region.getKey().toString(), shards.keySet().stream().sorted().toList(), entities));
    }
    return new ShardPlacement(type, nodes);
  }
}
