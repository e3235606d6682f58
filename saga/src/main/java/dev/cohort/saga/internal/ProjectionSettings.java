package dev.cohort.saga.internal;

import com.typesafe.config.Config;
import java.time.Duration;

/** The settings under {@code cohort.saga.projection} (see the module's reference.conf). */
public record ProjectionSettings(
    Duration checkpointInterval,
    Duration fetchMaxWait,
    int maxPollRecords,
    Duration retryBackoff,
    int sinkPartitions,
    Duration wakeInterval,
    Duration askTimeout) {

  public static ProjectionSettings create(Config root) {
    Config c = root.getConfig("cohort.saga.projection");
    ProjectionSettings s = new ProjectionSettings(
        c.getDuration("checkpoint-interval"),
        c.getDuration("fetch-max-wait"),
        c.getInt("max-poll-records"),
        c.getDuration("retry-backoff"),
        c.getInt("sink-partitions"),
        root.getDuration("cohort.saga.wake-interval"),
        root.getDuration("cohort.saga.ask-timeout"));
    require(s.checkpointInterval.toMillis() > 0, "checkpoint-interval must be positive");
    require(s.fetchMaxWait.toMillis() > 0, "fetch-max-wait must be positive");
    require(s.maxPollRecords >= 1, "max-poll-records must be at least 1");
    require(s.retryBackoff.toMillis() > 0, "retry-backoff must be positive");
    require(s.sinkPartitions >= 0, "sink-partitions must be 0 (the kv default) or more");
    return s;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.saga.projection." + message);
    }
  }
}
