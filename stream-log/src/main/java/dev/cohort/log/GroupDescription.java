package dev.cohort.log;

import java.util.List;

/**
 * A consumer group: its state ({@code Empty}, {@code Stable}, {@code CompletingRebalance}), the
 * current generation and assignor, its members, and per partition the committed offset and lag (log
 * end offset − committed offset; -1 when nothing is committed).
 */
public record GroupDescription(
    String groupId,
    String state,
    int generation,
    String assignor,
    List<Member> members,
    List<PartitionOffset> offsets) {

  public record Member(
      String memberId, String clientId, List<String> topics, List<TopicPartition> assignment) {}

  public record PartitionOffset(
      TopicPartition topicPartition,
      long committedOffset,
      String metadata,
      long logEndOffset,
      long lag) {}
}
