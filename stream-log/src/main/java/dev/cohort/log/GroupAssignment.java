package dev.cohort.log;

import java.util.List;

/**
 * A member's view of its group: its id, the group's current generation and the partitions assigned
 * to it in that generation. {@code rebalancing} is true while partitions wait to move between
 * members (cooperative hand-over).
 */
public record GroupAssignment(
    String groupId,
    String memberId,
    int generation,
    List<TopicPartition> assignment,
    boolean rebalancing) {}
