package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.assertCode;
import static dev.cohort.log.internal.LogTestKit.get;
import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupConsumer;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Consumer groups: membership, assignment, rebalancing, commits and the group consumer. */
class ConsumerGroupsTest {
  private static final ActorTestKit kit = LogTestKit.cluster("");
  private static final StreamLogImpl log = StreamLogImpl.start(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static ConsumerSettings settings(String assignor, long sessionTimeoutMs) {
    return log.consumerSettings()
        .with(
            Map.of(
                "partition.assignment.strategy",
                assignor,
                "session.timeout.ms",
                Long.toString(sessionTimeoutMs),
                "auto.offset.reset",
                "earliest"));
  }

  private static List<GroupAssignment> join(String group, String topic, int n, ConsumerSettings s) {
    List<GroupAssignment> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(get(log.joinGroup(group, null, List.of(topic), s)));
    }
    return members;
  }

  /**
   * Heartbeats every member until no partition waits to move; checks invariant NoTwoOwners after
   * every answer (the latest assignments of all members are disjoint).
   */
  private static Map<String, List<TopicPartition>> stabilize(String group, List<String> memberIds) {
    Map<String, List<TopicPartition>> latest = new LinkedHashMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      boolean rebalancing = false;
      for (String id : memberIds) {
        GroupAssignment a = get(log.heartbeat(group, id, -1));
        latest.put(id, a.assignment());
        rebalancing |= a.rebalancing();
        assertNoTwoOwners(latest);
      }
      if (!rebalancing) {
        return latest;
      }
    }
    fail("group " + group + " did not settle: " + latest);
    return latest;
  }

  private static void assertNoTwoOwners(Map<String, List<TopicPartition>> assignments) {
    Set<TopicPartition> seen = new HashSet<>();
    assignments
        .values()
        .forEach(l -> l.forEach(tp -> assertTrue(seen.add(tp), "two owners of " + tp)));
  }

  private static void assertCovering(
      Map<String, List<TopicPartition>> assignments, String topic, int n) {
    Set<TopicPartition> all = new HashSet<>();
    assignments.values().forEach(all::addAll);
    Set<TopicPartition> expected = new HashSet<>();
    for (int p = 0; p < n; p++) {
      expected.add(new TopicPartition(topic, p));
    }
    assertEquals(expected, all);
  }

  private static List<String> ids(List<GroupAssignment> members) {
    return members.stream().map(GroupAssignment::memberId).toList();
  }

  @Test
  void threeConsumersOnFourPartitionsGetDisjointCoveringAssignments() {
    get(log.createTopic("g3", 4, Map.of()));
    for (String assignor : List.of("range", "roundrobin", "cooperative-sticky")) {
      String group = "three-" + assignor;
      List<GroupAssignment> members = join(group, "g3", 3, settings(assignor, 10_000));
      Map<String, List<TopicPartition>> settled = stabilize(group, ids(members));
      assertCovering(settled, "g3", 4);
      settled
          .values()
          .forEach(l -> assertTrue(l.size() == 1 || l.size() == 2, assignor + ": " + settled));
      GroupDescription d = get(log.describeGroup(group));
      assertEquals("Stable", d.state());
      assertEquals(3, d.members().size());
      assertEquals(assignor, d.assignor());
    }
  }

  @Test
  void aFifthMemberOnFourPartitionsStaysIdle() {
    get(log.createTopic("g5", 4, Map.of()));
    List<GroupAssignment> members = join("five", "g5", 5, settings("range", 10_000));
    Map<String, List<TopicPartition>> settled = stabilize("five", ids(members));
    assertCovering(settled, "g5", 4);
    assertEquals(1, settled.values().stream().filter(List::isEmpty).count());
  }

  @Test
  void aMemberThatStopsHeartbeatingLosesItsPartitionsAfterTheSessionTimeout() {
    get(log.createTopic("gt", 4, Map.of()));
    List<GroupAssignment> members = join("timeout", "gt", 2, settings("cooperative-sticky", 600));
    String alive = members.get(0).memberId();
    String silent = members.get(1).memberId();
    Map<String, List<TopicPartition>> settled = stabilize("timeout", List.of(alive, silent));
    assertEquals(2, settled.get(silent).size());
    // Only `alive` heartbeats from now on; it must end up with all four partitions.
    await(
        Duration.ofSeconds(10),
        () -> get(log.heartbeat("timeout", alive, -1)).assignment().size() == 4);
    assertCode("unknown_member_id", log.heartbeat("timeout", silent, -1));
    assertCode(
        "unknown_member_id",
        log.commitOffsets(
            "timeout", silent, 99, Map.of(new TopicPartition("gt", 0), OffsetAndMetadata.of(1))));
  }

  @Test
  void aCommitFromAStaleGenerationIsRejectedAndWritesNothing() {
    get(log.createTopic("gs", 2, Map.of()));
    GroupAssignment first =
        get(log.joinGroup("stale", null, List.of("gs"), settings("range", 10_000)));
    TopicPartition tp = new TopicPartition("gs", 0);
    get(
        log.commitOffsets(
            "stale",
            first.memberId(),
            first.generation(),
            Map.of(tp, new OffsetAndMetadata(3, "m1"))));
    GroupAssignment second =
        get(log.joinGroup("stale", null, List.of("gs"), settings("range", 10_000)));
    assertTrue(second.generation() > first.generation());
    assertCode(
        "illegal_generation",
        log.commitOffsets(
            "stale", first.memberId(), first.generation(), Map.of(tp, OffsetAndMetadata.of(7))));
    assertEquals(new OffsetAndMetadata(3, "m1"), get(log.committedOffsets("stale")).get(tp));
    get(
        log.commitOffsets(
            "stale", first.memberId(), second.generation(), Map.of(tp, OffsetAndMetadata.of(7))));
    assertEquals(7, get(log.committedOffsets("stale")).get(tp).offset());
    assertCode("unknown_member_id", log.heartbeat("stale", "nobody", 1));
    assertCode("unknown_member_id", log.leaveGroup("stale", "nobody"));
    assertCode(
        "unknown_member_id",
        log.joinGroup("stale", "nobody", List.of("gs"), settings("range", 10_000)));
    assertCode(
        "inconsistent_group_protocol",
        log.joinGroup("stale", null, List.of("gs"), settings("roundrobin", 10_000)));
    assertCode(
        "invalid_session_timeout",
        log.joinGroup("stale", null, List.of("gs"), settings("range", 1)));
    assertEquals(
        2, get(log.describeGroup("stale")).members().size(), "rejected joins added nobody");
  }

  @Test
  void cooperativeStickyMovesOnlyWhatMustMove() {
    get(log.createTopic("gc", 6, Map.of()));
    ConsumerSettings s = settings("cooperative-sticky", 10_000);
    List<GroupAssignment> two = join("sticky", "gc", 2, s);
    Map<String, List<TopicPartition>> before = stabilize("sticky", ids(two));
    GroupAssignment third = get(log.joinGroup("sticky", null, List.of("gc"), s));
    List<String> all = new ArrayList<>(ids(two));
    all.add(third.memberId());
    Map<String, List<TopicPartition>> after = stabilize("sticky", all);
    assertCovering(after, "gc", 6);
    int kept = 0;
    for (String id : ids(two)) {
      assertTrue(before.get(id).containsAll(after.get(id)), "old members only lose partitions");
      kept += after.get(id).size();
    }
    assertEquals(4, kept, "exactly two of six partitions moved to the new member");
    assertEquals(2, after.get(third.memberId()).size());
    // The leaving member's partitions go to the others; the others keep theirs.
    get(log.leaveGroup("sticky", third.memberId()));
    Map<String, List<TopicPartition>> afterLeave = stabilize("sticky", ids(two));
    for (String id : ids(two)) {
      assertTrue(afterLeave.get(id).containsAll(after.get(id)));
    }
    assertCovering(afterLeave, "gc", 6);
  }

  @Test
  void subscribedTopicsThatGainPartitionsAreRebalanced() {
    get(log.createTopic("grow", 2, Map.of()));
    List<GroupAssignment> members = join("growing", "grow", 2, settings("roundrobin", 10_000));
    stabilize("growing", ids(members));
    get(log.createPartitions("grow", 4));
    await(
        Duration.ofSeconds(10),
        () -> {
          Map<String, List<TopicPartition>> now = stabilize("growing", ids(members));
          return now.values().stream().mapToInt(List::size).sum() == 4;
        });
  }

  /**
   * The source document's example: ten order events keyed by user id, an idempotent acks=all
   * producer, and a group consumer with manual commit after processing (at-least-once).
   */
  @Test
  void orderEventsWithAManualCommitGroupConsumer() {
    get(log.createTopic("orders", 4, Map.of("compression.type", "snappy")));
    try (Producer producer =
        log.producer(
            log.producerSettings().with(Map.of("acks", "all", "enable.idempotence", "true")))) {
      for (int i = 0; i < 10; i++) {
        String userId = "user-" + (i % 5);
        String event =
            "{\"order_id\":\"ORD-%04d\",\"user_id\":\"%s\",\"amount\":%d}"
                .formatted(i, userId, 10000 * (i + 1));
        producer.send(ProducerRecord.of("orders", userId, event));
      }
      get(producer.flush());
    }
    ConsumerSettings manual =
        log.consumerSettings()
            .with(Map.of("auto.offset.reset", "earliest", "enable.auto.commit", "false"));
    List<ConsumerRecord> processed = new ArrayList<>();
    try (GroupConsumer consumer =
        log.groupConsumer("order-processor-group", List.of("orders"), manual)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (processed.size() < 10 && System.nanoTime() < deadline) {
        List<ConsumerRecord> batch = get(consumer.poll(Duration.ofMillis(200)));
        processed.addAll(batch);
        if (!batch.isEmpty()) {
          get(consumer.commitSync());
        }
      }
      assertEquals(4, consumer.assignment().size());
    }
    assertEquals(10, processed.size());
    Map<String, List<String>> byUser = new HashMap<>();
    for (ConsumerRecord r : processed) {
      byUser.computeIfAbsent(r.keyString(), k -> new ArrayList<>()).add(r.valueString());
      assertEquals(Partitioners.partitionForKey(r.key(), 4), r.partition());
    }
    assertEquals(5, byUser.size());
    byUser.forEach(
        (user, orders) -> {
          assertEquals(2, orders.size());
          assertTrue(orders.get(0).compareTo(orders.get(1)) < 0, "per-user order kept: " + orders);
        });
    GroupDescription d = get(log.describeGroup("order-processor-group"));
    assertEquals("Empty", d.state());
    long committed =
        d.offsets().stream().mapToLong(GroupDescription.PartitionOffset::committedOffset).sum();
    assertEquals(10, committed);
    assertTrue(d.offsets().stream().allMatch(o -> o.lag() == 0));
    assertTrue(get(log.listGroups()).contains("order-processor-group"));
    String scrape = dev.cohort.observability.Metrics.get(kit.system()).scrape();
    assertTrue(
        scrape.contains(
            "cohort_log_consumer_group_lag{group=\"order-processor-group\",partition=\"0\",topic=\"orders\"} 0.0"),
        scrape);
    assertTrue(
        scrape.contains("cohort_log_consumer_group_members{group=\"order-processor-group\"} 0.0"));
    // kafka_exporter's names and labels for the same numbers
    assertTrue(
        scrape.contains(
            "kafka_consumergroup_lag{consumergroup=\"order-processor-group\",partition=\"0\",topic=\"orders\"} 0.0"),
        scrape);
    long committedAt0 =
        d.offsets().stream()
            .filter(o -> o.topicPartition().partition() == 0)
            .findFirst()
            .orElseThrow()
            .committedOffset();
    assertTrue(
        scrape.contains(
            "kafka_consumergroup_current_offset{consumergroup=\"order-processor-group\",partition=\"0\",topic=\"orders\"} "
                + committedAt0
                + ".0"),
        scrape);
    assertTrue(scrape.contains("cohort_log_rebalances_total{group=\"order-processor-group\"}"));
    // A restarted consumer continues after the committed offsets: nothing is processed twice.
    try (GroupConsumer again =
        log.groupConsumer("order-processor-group", List.of("orders"), manual)) {
      assertTrue(get(again.poll(Duration.ofMillis(300))).isEmpty());
    }
  }

  @Test
  void groupConsumersShareTheWorkAndAutoCommit() {
    get(log.createTopic("shared", 4, Map.of()));
    try (Producer producer = log.producer()) {
      for (int i = 0; i < 200; i++) {
        producer.send(ProducerRecord.of("shared", "k" + i, "v" + i));
      }
      get(producer.flush());
    }
    ConsumerSettings auto =
        log.consumerSettings()
            .with(
                Map.of(
                    "auto.offset.reset",
                    "earliest",
                    "enable.auto.commit",
                    "true",
                    "auto.commit.interval.ms",
                    "100"));
    Set<String> seen = new HashSet<>();
    GroupConsumer a = log.groupConsumer("sharing", List.of("shared"), auto);
    GroupConsumer b = log.groupConsumer("sharing", List.of("shared"), auto);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    boolean drained = false;
    while (!(seen.size() == 200 && drained) && System.nanoTime() < deadline) {
      List<ConsumerRecord> fromA = get(a.poll(Duration.ofMillis(50)));
      List<ConsumerRecord> fromB = get(b.poll(Duration.ofMillis(50)));
      fromA.forEach(r -> seen.add(r.valueString()));
      fromB.forEach(r -> seen.add(r.valueString()));
      drained =
          fromA.isEmpty() && fromB.isEmpty() && a.assignment().size() + b.assignment().size() == 4;
    }
    assertEquals(200, seen.size());
    assertEquals(2, a.assignment().size(), "the work is shared");
    a.close();
    b.close();
    GroupDescription d = get(log.describeGroup("sharing"));
    assertEquals(
        200,
        d.offsets().stream().mapToLong(GroupDescription.PartitionOffset::committedOffset).sum());
  }

  /** The gateway's flow: join, then read and commit by member id, then leave. */
  @Test
  void membersPollByIdAsTheGatewayDoes() {
    get(log.createTopic("http", 2, Map.of()));
    get(
        log.send(
            "http",
            List.of(
                ProducerRecord.of("http", "a", "1"),
                ProducerRecord.of("http", "b", "2"),
                ProducerRecord.of("http", "c", "3"))));
    ConsumerSettings s =
        settings("range", 10_000)
            .with(Map.of("enable.auto.commit", "false", "max.poll.records", "2"));
    GroupAssignment member = get(log.joinGroup("gateway", null, List.of("http"), s));
    List<ConsumerRecord> got = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (got.size() < 3 && System.nanoTime() < deadline) {
      List<ConsumerRecord> batch =
          get(log.pollMember("gateway", member.memberId(), s, Duration.ofMillis(100)));
      assertTrue(batch.size() <= 2);
      got.addAll(batch);
    }
    assertEquals(3, got.size());
    assertTrue(
        get(log.pollMember("gateway", member.memberId(), s, Duration.ofMillis(50))).isEmpty());
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    got.forEach(
        r ->
            commit.merge(
                r.topicPartition(),
                OffsetAndMetadata.of(r.offset() + 1),
                (x, y) -> x.offset() > y.offset() ? x : y));
    GroupAssignment now = get(log.heartbeat("gateway", member.memberId(), member.generation()));
    get(log.commitOffsets("gateway", member.memberId(), now.generation(), commit));
    get(log.leaveGroup("gateway", member.memberId()));
    assertCode("unknown_member_id", log.pollMember("gateway", member.memberId(), s, Duration.ZERO));
    assertEquals(
        3,
        get(log.describeGroup("gateway")).offsets().stream()
            .mapToLong(GroupDescription.PartitionOffset::committedOffset)
            .sum());
  }

  @Test
  void aStandaloneConsumerCommitsToAGroupWithoutMembers() {
    get(log.createTopic("solo", 1, Map.of()));
    TopicPartition tp = new TopicPartition("solo", 0);
    get(log.commitOffsets("standalone", null, -1, Map.of(tp, new OffsetAndMetadata(4, "manual"))));
    assertEquals(
        new OffsetAndMetadata(4, "manual"), get(log.committedOffsets("standalone")).get(tp));
    assertTrue(get(log.listGroups()).contains("standalone"));
    GroupAssignment member =
        get(log.joinGroup("standalone", null, List.of("solo"), settings("range", 10_000)));
    assertCode(
        "illegal_generation",
        log.commitOffsets("standalone", null, -1, Map.of(tp, OffsetAndMetadata.of(9))));
    assertCode(
        "invalid_request",
        log.commitOffsets(
            "standalone",
            member.memberId(),
            member.generation(),
            Map.of(tp, OffsetAndMetadata.of(-2))));
    assertEquals(4, get(log.committedOffsets("standalone")).get(tp).offset());
  }

  @Test
  void offsetsAndGroupsAreDeletedOnlyWithoutMembers() {
    get(log.createTopic("deletable", 2, Map.of()));
    TopicPartition p0 = new TopicPartition("deletable", 0);
    TopicPartition p1 = new TopicPartition("deletable", 1);
    get(
        log.commitOffsets(
            "doomed", null, -1, Map.of(p0, OffsetAndMetadata.of(3), p1, OffsetAndMetadata.of(5))));
    GroupAssignment member =
        get(log.joinGroup("doomed", null, List.of("deletable"), settings("range", 10_000)));
    assertCode("non_empty_group", log.deleteOffsets("doomed", List.of(p0)));
    assertCode("non_empty_group", log.deleteGroup("doomed"));
    assertEquals(
        2, get(log.committedOffsets("doomed")).size(), "a refused deletion changes nothing");
    get(log.leaveGroup("doomed", member.memberId()));

    get(log.deleteOffsets("doomed", List.of(p0)));
    assertEquals(Map.of(p1, OffsetAndMetadata.of(5)), get(log.committedOffsets("doomed")));
    assertTrue(get(log.listGroups()).contains("doomed"));
    get(log.deleteGroup("doomed"));
    assertTrue(get(log.committedOffsets("doomed")).isEmpty());
    assertFalse(get(log.listGroups()).contains("doomed"));
  }
}
