package dev.cohort.sharding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings shared by every sharded entity type, read from {@code cohort.sharding}.
 *
 * @param askTimeout how long a caller waits for an entity's reply
 * @param virtualNodes points per node on the shard-allocation ring
 * @param maxSimultaneousRebalance most shards of one entity type moving at once
 */
public record ShardingSettings(
    Duration askTimeout, int virtualNodes, int maxSimultaneousRebalance) {

  public static ShardingSettings create(Config config) {
    Config c = config.getConfig("cohort.sharding");
    int virtualNodes = c.getInt("allocation.virtual-nodes");
    int maxRebalance = c.getInt("allocation.max-simultaneous-rebalance");
    if (virtualNodes < 1 || maxRebalance < 1) {
      throw new IllegalArgumentException(
          "cohort.sharding.allocation.virtual-nodes and max-simultaneous-rebalance must be at least 1");
    }
    return new ShardingSettings(c.getDuration("ask-timeout"), virtualNodes, maxRebalance);
  }
}
