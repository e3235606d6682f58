package dev.cohort.sharding;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings shared by every sharded entity type, read from {@code cohort.sharding}.
 *
 * @param askTimeout how long a caller waits for an entity's reply
 */
public record ShardingSettings(Duration askTimeout) {

  public static ShardingSettings create(Config config) {
    Config c = config.getConfig("cohort.sharding");
    return new ShardingSettings(c.getDuration("ask-timeout"));
  }
}
