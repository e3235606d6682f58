package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;
import java.util.List;
import java.util.Map;

/**
 * The lifecycle stage of a partition that no topic owns: never configured, or its topic was
 * deleted. It holds no batches and no producer state; produce and fetch are refused with {@code
 * unknown_topic_or_partition}, and the only event it accepts is {@code PartitionConfigured}.
 *
 * <p>Invariants: its log is empty and never changes; it carries the log version and snapshot
 * counters of the stage before it. Confined to the partition entity's actor.
 */
public final class UnconfiguredPartition extends PartitionEntity.State {
  private final PartitionLog empty = new PartitionLog();

  /** The configured stage after {@code e}, with an empty log. */
  PartitionEntity.State applyConfigured(PartitionEntity.PartitionConfigured e) {
    return handOver(
        new ConfiguredPartition(
            e.topicId(), e.config(), new PartitionLog(), new ProducerStateManager()));
  }

  @Override
  String topicId() {
    return "";
  }

  @Override
  TopicConfig config() {
    return null;
  }

  @Override
  PartitionLog log() {
    return empty;
  }

  @Override
  PartitionEntity.SnapshotV2 toSnapshot() {
    return new PartitionEntity.SnapshotV2(
        "", null, 0, 0, List.of(), Map.of(), 0, Long.MAX_VALUE, logVersion);
  }
}
