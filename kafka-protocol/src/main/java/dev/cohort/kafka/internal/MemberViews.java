package dev.cohort.kafka.internal;

import dev.cohort.log.TopicPartition;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's view of the classic-protocol members it serves: per group and member, the generation
 * and the assignment it last handed the member (in SyncGroup), the protocol it chose and whether
 * the member was told to rejoin. A member keeps talking to the coordinator node it found, so the
 * view lives where the member's requests arrive. Entries go when the member leaves or the
 * stream-log group no longer knows it.
 */
final class MemberViews {
  record View(
      int generation,
      List<TopicPartition> delivered,
      String protocol,
      List<String> topics,
      boolean rejoinPending) {

    View rejoin() {
      return new View(generation, delivered, protocol, topics, true);
    }
  }

  private final ConcurrentHashMap<String, View> views = new ConcurrentHashMap<>();

  private static String key(String groupId, String memberId) {
    return groupId + '\u0000' + memberId;
  }

  View get(String groupId, String memberId) {
    return views.get(key(groupId, memberId));
  }

  void put(String groupId, String memberId, View view) {
    views.put(key(groupId, memberId), view);
  }

  void remove(String groupId, String memberId) {
    views.remove(key(groupId, memberId));
  }
}
