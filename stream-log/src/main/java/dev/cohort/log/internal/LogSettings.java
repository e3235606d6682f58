package dev.cohort.log.internal;

import com.typesafe.config.Config;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.TopicConfig;
import java.time.Duration;

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
    Duration minSessionTimeout,
    Duration maxSessionTimeout,
    Duration groupCheckInterval,
    Duration lagRefreshInterval,
    ProducerSettings producer,
    ConsumerSettings consumer) {

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
        g.getDuration("min-session-timeout"),
        g.getDuration("max-session-timeout"),
        g.getDuration("check-interval"),
        g.getDuration("lag-refresh-interval"),
        ProducerSettings.create(c.getConfig("producer")),
        ConsumerSettings.create(c.getConfig("consumer")));
  }
}
