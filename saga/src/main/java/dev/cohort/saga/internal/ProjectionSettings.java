package dev.cohort.saga.internal;

import com.typesafe.config.Config;
import dev.cohort.saga.SagaSettings;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;

/** The settings under {@code cohort.saga.projection} (see the module's reference.conf). */
public record ProjectionSettings(
    Duration checkpointInterval,
    Duration fetchMaxWait,
    int maxPollRecords,
    Duration retryBackoff,
    int sinkPartitions,
    Duration wakeInterval,
    Duration askTimeout,
    BackoffSupervisorStrategy restartStrategy,
    int snapshotEvery,
    int registrySnapshotEvery) {

  /** Reads {@code cohort.saga.projection}; wake, ask and restart settings are the module's. */
  public static ProjectionSettings create(Config root, SagaSettings saga) {
    Config c = root.getConfig("cohort.saga.projection");
    ProjectionSettings s =
        new ProjectionSettings(
            c.getDuration("checkpoint-interval"),
            c.getDuration("fetch-max-wait"),
            c.getInt("max-poll-records"),
            c.getDuration("retry-backoff"),
            c.getInt("sink-partitions"),
            saga.wakeInterval(),
            saga.askTimeout(),
            saga.restartStrategy(),
            c.getInt("snapshot-every"),
            c.getInt("registry-snapshot-every"));
    require(s.checkpointInterval.toMillis() > 0, "checkpoint-interval must be positive");
    require(s.fetchMaxWait.toMillis() > 0, "fetch-max-wait must be positive");
    require(s.maxPollRecords >= 1, "max-poll-records must be at least 1");
    require(s.retryBackoff.toMillis() > 0, "retry-backoff must be positive");
    require(s.sinkPartitions >= 0, "sink-partitions must be 0 (the kv default) or more");
    require(s.snapshotEvery >= 1, "snapshot-every must be at least 1");
    require(s.registrySnapshotEvery >= 1, "registry-snapshot-every must be at least 1");
    return s;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.saga.projection." + message);
    }
  }
}
