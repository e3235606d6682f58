package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;

/**
 * The lifecycle stage of a partition that its topic ({@code topicId}) owns: the topic's configs,
 * the retained {@link PartitionLog} and the producers' {@link ProducerStateManager}. Its event
 * handlers apply journaled events to them; they are pure functions of the events (no clock, no
 * metrics, no messages), since they also run during recovery.
 *
 * <p>Invariants: a {@code PartitionConfigured} of another topic id (the topic was re-created)
 * starts an empty log and producer state; every change to the log's batches (truncation,
 * compaction, re-creation, deletion) raises the log version, which voids a compaction started
 * before it. Confined to the partition entity's actor.
 */
public final class ConfiguredPartition extends PartitionEntity.State {
  private String topicId;
  private TopicConfig config;
  private PartitionLog log;
  private ProducerStateManager producers;

  ConfiguredPartition(
      String topicId, TopicConfig config, PartitionLog log, ProducerStateManager producers) {
    this.topicId = topicId;
    this.config = config;
    this.log = log;
    this.producers = producers;
  }

  /** The stage a snapshot of a configured partition describes. */
  static ConfiguredPartition restore(PartitionEntity.SnapshotV2 s) {
    return new ConfiguredPartition(
        s.topicId() == null ? "" : s.topicId(),
        s.config(),
        PartitionLog.restore(
            s.logStartOffset(),
            s.logEndOffset(),
            s.batches(),
            s.cleanedUpTo(),
            s.tombstonesExpireAt()),
        ProducerStateManager.restore(s.producers()));
  }

  @Override
  String topicId() {
    return topicId;
  }

  @Override
  TopicConfig config() {
    return config;
  }

  @Override
  PartitionLog log() {
    return log;
  }

  ProducerStateManager producers() {
    return producers;
  }

  /** New configs; another topic id (the topic was re-created) starts an empty log. */
  PartitionEntity.State applyConfigured(PartitionEntity.PartitionConfigured e) {
    if (!e.topicId().equals(topicId)) {
      log = new PartitionLog();
      producers = new ProducerStateManager();
      logVersion++;
    }
    topicId = e.topicId();
    config = e.config();
    return this;
  }

  PartitionEntity.State applyAppended(PartitionEntity.BatchAppendedV2 e) {
    log.append(e.batch());
    eventsSinceSnapshot++;
    bytesSinceSnapshot += e.batch().sizeBytes();
    producers.apply(e);
    return this;
  }

  PartitionEntity.State applyProducersExpired(PartitionEntity.ProducersExpired e) {
    producers.expire(e.producerIds());
    return this;
  }

  PartitionEntity.State applyTruncated(PartitionEntity.LogTruncated e) {
    log.truncate(e.logStartOffset());
    logVersion++;
    return this;
  }

  PartitionEntity.State applyCompacted(PartitionEntity.LogCompactedV2 e) {
    log.compacted(e.cleanedUpTo(), e.replacement(), e.tombstonesExpireAt());
    logVersion++;
    return this;
  }

  /** The unconfigured stage: the topic was deleted, and with it the log and producer state. */
  PartitionEntity.State applyDeleted() {
    return handOver(new UnconfiguredPartition());
  }

  @Override
  PartitionEntity.SnapshotV2 toSnapshot() {
    return new PartitionEntity.SnapshotV2(
        topicId,
        config,
        log.logStartOffset(),
        log.logEndOffset(),
        log.batchesView(),
        producers.snapshot(),
        log.cleanedUpTo(),
        log.tombstonesExpireAt(),
        logVersion);
  }
}
