package dev.cohort.log;

import java.util.List;

/** A topic's configuration and, per partition, its offsets and size. */
public record TopicDescription(
    String name, String topicId, TopicConfig config, List<PartitionDescription> partitions) {

  /**
   * One partition. {@code node} is the address of the cluster node hosting the partition entity.
   */
  public record PartitionDescription(
      int partition, long logStartOffset, long logEndOffset, long sizeBytes, String node) {}
}
