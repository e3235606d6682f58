package dev.cohort.log.internal;

import com.typesafe.config.Config;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.TopicConfig;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * The stream-log settings of one node, read once from {@code cohort.log} (see {@code
 * reference.conf} for each key's meaning, unit and scope). Immutable.
 */
public record LogSettings(
    Duration askTimeout,
    Duration metadataMaxAge,
    int maxPartitions,
    TopicConfig topicDefaults,
    int snapshotEvery,
    Duration retentionCheckInterval,
    Duration maxFetchWait,
    int maxFetchReplyBytes,
    Duration producerIdExpiration,
    Duration restartBackoffMin,
    Duration restartBackoffMax,
    double restartBackoffRandomFactor,
    int registrySnapshotEvery,
    int registryKeepSnapshots,
    Duration minSessionTimeout,
    Duration maxSessionTimeout,
    Duration groupCheckInterval,
    Duration lagRefreshInterval,
    int groupSnapshotEvery,
    int groupKeepSnapshots,
    ProducerSettings producer,
    ConsumerSettings consumer) {

  /** The restart backoff of the module's entities (the {@code restart-backoff-*} keys). */
  public BackoffSupervisorStrategy restartWithBackoff() {
    return SupervisorStrategy.restartWithBackoff(
        restartBackoffMin, restartBackoffMax, restartBackoffRandomFactor);
  }

  public static LogSettings create(Config config) {
    Config c = config.getConfig("cohort.log");
    Config t = c.getConfig("topic-defaults");
    TopicConfig defaults =
        new TopicConfig(
            t.getLong("retention.ms"),
            t.getLong("retention.bytes"),
            TopicConfig.CleanupPolicy.DELETE,
            TopicConfig.CompressionType.PRODUCER,
            t.getInt("max.message.bytes"),
            TopicConfig.TimestampType.CREATE_TIME,
            t.getInt("min.insync.replicas"),
            t.getLong("delete.retention.ms"),
            t.getDouble("min.cleanable.dirty.ratio"));
    defaults =
        defaults.with(
            java.util.Map.of(
                TopicConfig.CLEANUP_POLICY, t.getString("cleanup.policy"),
                TopicConfig.COMPRESSION_TYPE, t.getString("compression.type"),
                TopicConfig.MESSAGE_TIMESTAMP_TYPE, t.getString("message.timestamp.type")));
    Config p = c.getConfig("partition");
    Config g = c.getConfig("group");
    Config r = c.getConfig("topic-registry");
    return new LogSettings(
        c.getDuration("ask-timeout"),
        c.getDuration("metadata-max-age"),
        c.getInt("max-partitions"),
        defaults,
        p.getInt("snapshot-every"),
        p.getDuration("retention-check-interval"),
        p.getDuration("max-fetch-wait"),
        (int) Math.min(Integer.MAX_VALUE, p.getBytes("max-fetch-reply-bytes")),
        p.getDuration("producer-id-expiration"),
        p.getDuration("restart-backoff-min"),
        p.getDuration("restart-backoff-max"),
        p.getDouble("restart-backoff-random-factor"),
        r.getInt("snapshot-every"),
        r.getInt("keep-snapshots"),
        g.getDuration("min-session-timeout"),
        g.getDuration("max-session-timeout"),
        g.getDuration("check-interval"),
        g.getDuration("lag-refresh-interval"),
        g.getInt("snapshot-every"),
        g.getInt("keep-snapshots"),
        ProducerSettings.create(c.getConfig("producer")),
        ConsumerSettings.create(c.getConfig("consumer")));
  }
}
