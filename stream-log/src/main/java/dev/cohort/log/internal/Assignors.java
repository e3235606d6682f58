package dev.cohort.log.internal;

import dev.cohort.log.ConsumerSettings.Assignor;
import dev.cohort.log.TopicPartition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's partition assignors, computed by the group coordinator. Inputs are the members (sorted by
 * member id) with their subscriptions, the partition counts of the subscribed topics and, for
 * {@code cooperative-sticky}, the previous target assignment. Every partition of a subscribed topic
 * goes to exactly one member subscribed to it; members beyond the partition count stay idle with an
 * empty list. Pure functions.
 */
public final class Assignors {
  private Assignors() {}

  /** A member as the assignors see it. */
  public record Subscriber(String memberId, List<String> topics, List<TopicPartition> previous) {}

  public static Map<String, List<TopicPartition>> assign(
      Assignor assignor, List<Subscriber> members, Map<String, Integer> partitionCounts) {
    List<Subscriber> sorted = new ArrayList<>(members);
    sorted.sort(Comparator.comparing(Subscriber::memberId));
    Map<String, List<TopicPartition>> result = new LinkedHashMap<>();
    for (Subscriber m : sorted) {
      result.put(m.memberId(), new ArrayList<>());
    }
    switch (assignor) {
      case RANGE -> range(sorted, partitionCounts, result);
      case ROUND_ROBIN -> roundRobin(sorted, partitionCounts, result);
      case COOPERATIVE_STICKY -> sticky(sorted, partitionCounts, result);
    }
    Map<String, List<TopicPartition>> frozen = new LinkedHashMap<>();
    result.forEach((id, list) -> frozen.put(id, List.copyOf(new TreeSet<>(list))));
    return frozen;
  }

  private static Set<String> topics(List<Subscriber> members) {
    Set<String> topics = new TreeSet<>();
    members.forEach(m -> topics.addAll(m.topics()));
    return topics;
  }

  /** Per topic, consecutive ranges; the first {@code n % k} members get one more. */
  private static void range(
      List<Subscriber> members,
      Map<String, Integer> counts,
      Map<String, List<TopicPartition>> out) {
    for (String topic : topics(members)) {
      List<Subscriber> subscribed =
          members.stream().filter(m -> m.topics().contains(topic)).toList();
      int n = counts.getOrDefault(topic, 0);
      int k = subscribed.size();
      int at = 0;
      for (int i = 0; i < k; i++) {
        int take = n / k + (i < n % k ? 1 : 0);
        for (int j = 0; j < take; j++) {
          out.get(subscribed.get(i).memberId()).add(new TopicPartition(topic, at++));
        }
      }
    }
  }

  /** All partitions in (topic, partition) order dealt to subscribed members in turn. */
  private static void roundRobin(
      List<Subscriber> members,
      Map<String, Integer> counts,
      Map<String, List<TopicPartition>> out) {
    int next = 0;
    for (TopicPartition tp : allPartitions(members, counts)) {
      for (int tries = 0; tries < members.size(); tries++) {
        Subscriber m = members.get(next++ % members.size());
        if (m.topics().contains(tp.topic())) {
          out.get(m.memberId()).add(tp);
          break;
        }
      }
    }
  }

  /**
   * Balanced like round robin, but each member first keeps what it had (up to its quota), so that
   * only the partitions that must move do.
   */
  private static void sticky(
      List<Subscriber> members,
      Map<String, Integer> counts,
      Map<String, List<TopicPartition>> out) {
    List<TopicPartition> all = allPartitions(members, counts);
    int m = members.size();
    int base = all.size() / m;
    int extra = all.size() % m;
    Set<TopicPartition> valid = new HashSet<>(all);
    // Members already holding the most get the larger quotas, so that fewer partitions move.
    List<Subscriber> byHeld = new ArrayList<>(members);
    byHeld.sort(
        Comparator.comparingInt((Subscriber s) -> -s.previous().size())
            .thenComparing(Subscriber::memberId));
    Map<String, Integer> quota = new TreeMap<>();
    for (int i = 0; i < byHeld.size(); i++) {
      quota.put(byHeld.get(i).memberId(), base + (i < extra ? 1 : 0));
    }
    Set<TopicPartition> taken = new HashSet<>();
    for (Subscriber s : byHeld) {
      List<TopicPartition> keep =
          s.previous().stream()
              .filter(valid::contains)
              .filter(tp -> s.topics().contains(tp.topic()))
              .filter(tp -> !taken.contains(tp))
              .sorted()
              .limit(quota.get(s.memberId()))
              .toList();
      out.get(s.memberId()).addAll(keep);
      taken.addAll(keep);
    }
    for (TopicPartition tp : all) {
      if (taken.contains(tp)) {
        continue;
      }
      Subscriber best = null;
      for (Subscriber s : members) {
        if (!s.topics().contains(tp.topic())) {
          continue;
        }
        int room = quota.get(s.memberId()) - out.get(s.memberId()).size();
        if (best == null) {
          best = s;
          continue;
        }
        int bestRoom = quota.get(best.memberId()) - out.get(best.memberId()).size();
        if (room > bestRoom) {
          best = s;
        }
      }
      if (best != null) {
        out.get(best.memberId()).add(tp);
        taken.add(tp);
      }
    }
  }

  private static List<TopicPartition> allPartitions(
      List<Subscriber> members, Map<String, Integer> counts) {
    List<TopicPartition> all = new ArrayList<>();
    for (String topic : topics(members)) {
      for (int p = 0; p < counts.getOrDefault(topic, 0); p++) {
        all.add(new TopicPartition(topic, p));
      }
    }
    return all;
  }
}
