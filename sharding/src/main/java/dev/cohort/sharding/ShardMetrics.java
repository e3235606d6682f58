package dev.cohort.sharding;

import dev.cohort.observability.Metrics;
import dev.cohort.persistence.AskStages;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;

/**
 * {@code cohort_sharding_shards{entity_type}}: the shards this node hosts per entity type. A scrape
 * cannot wait for the regions, so their state is polled every {@code interval} and the gauge
 * reports the latest answer.
 */
public final class ShardMetrics {
  private ShardMetrics() {}

  public static void start(ActorSystem<?> system, Duration interval) {
    Map<String, Integer> shards = new ConcurrentHashMap<>();
    Metrics.get(system)
        .gauge(
            "cohort_sharding_shards",
            "Shards hosted by this node, by entity type",
            sink -> shards.forEach((type, count) -> sink.set(count, type)),
            "entity_type");
    ClusterSharding sharding = ClusterSharding.get(Adapter.toClassic(system));
    system
        .scheduler()
        .scheduleAtFixedRate(
            interval,
            interval,
            () -> {
              for (String type : sharding.getShardTypeNames()) {
                AskStages.on(
                        Patterns.ask(
                            sharding.shardRegion(type),
                            ShardRegion.getShardRegionStateInstance(),
                            interval),
                        system.executionContext())
                    .thenAccept(
                        state ->
                            shards.put(
                                type,
                                ((ShardRegion.CurrentShardRegionState) state).getShards().size()));
              }
            },
            system.executionContext());
  }
}
