package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Consumer groups behind {@link dev.cohort.log.StreamLog} (Kafka's group client): the member
 * protocol (join, heartbeat, leave, commit), committed offsets, group descriptions with lag, the
 * group list, the member sessions that {@code pollMember} keeps for HTTP members, and the log end
 * offsets the lag gauge needs from partitions hosted on other nodes.
 *
 * <p>Invariants: a group id is 1 to 249 characters, checked before anything is asked; a group is
 * registered with the topic registry (so it is listed) before its first join or standalone commit;
 * a member session is dropped when the group no longer knows the member or it was not polled for
 * longer than the longest session timeout. Thread-safe (concurrent maps).
 */
final class GroupClient {
  private final EntityAsks asks;
  private final TopicAdmin admin;
  private final LogSettings settings;
  private final LogMetrics metrics;
  private final Set<String> registeredGroups = ConcurrentHashMap.newKeySet();
  private final Map<String, GroupConsumerImpl> memberSessions = new ConcurrentHashMap<>();

  GroupClient(EntityAsks asks, TopicAdmin admin) {
    this.asks = asks;
    this.admin = admin;
    this.settings = asks.settings();
    this.metrics = LogMetrics.get(asks.system());
  }

  private CompletableFuture<GroupCoordinator.Reply> askGroup(
      String groupId,
      Function<ActorRef<GroupCoordinator.Reply>, GroupCoordinator.Command> command) {
    if (groupId == null || groupId.isBlank() || groupId.length() > 249) {
      return EntityAsks.failed(LogError.INVALID_GROUP_ID, "a group id must be 1 to 249 characters");
    }
    return asks.<GroupCoordinator.Command, GroupCoordinator.Reply>ask(
            asks.group(groupId), command, settings.askTimeout())
        .thenCompose(
            r ->
                r instanceof GroupCoordinator.Rejected rj
                    ? EntityAsks.failed(rj.rejection())
                    : CompletableFuture.completedFuture(r));
  }

  private static GroupAssignment toAssignment(String groupId, GroupCoordinator.Reply reply) {
    GroupCoordinator.Assignment a = (GroupCoordinator.Assignment) reply;
    return new GroupAssignment(
        groupId, a.memberId(), a.generation(), a.partitions(), a.rebalancing());
  }

  private CompletableFuture<Void> registerGroup(String groupId) {
    if (groupId == null || groupId.isBlank() || registeredGroups.contains(groupId)) {
      return CompletableFuture.completedFuture(null);
    }
    return asks.askRegistry(replyTo -> new TopicRegistry.RegisterGroup(groupId, replyTo))
        .thenAccept(r -> registeredGroups.add(groupId));
  }

  CompletionStage<GroupAssignment> joinGroup(
      String groupId, String memberId, List<String> topics, ConsumerSettings consumer) {
    if (topics == null || topics.isEmpty()) {
      return EntityAsks.failed(LogError.INVALID_REQUEST, "subscribe to at least one topic");
    }
    for (String topic : topics) {
      Rejection bad = TopicRegistry.validateName(topic);
      if (bad != null) {
        return EntityAsks.failed(bad);
      }
    }
    List<String> subscribed = List.copyOf(topics);
    return registerGroup(groupId)
        .thenCompose(
            v ->
                asks.askRegistry(
                    replyTo -> new TopicRegistry.GetPartitionCounts(subscribed, replyTo)))
        .thenCompose(
            counts ->
                askGroup(
                    groupId,
                    replyTo ->
                        new GroupCoordinator.Join(
                            memberId == null ? "" : memberId,
                            consumer.clientId(),
                            subscribed,
                            consumer.assignor(),
                            consumer.sessionTimeout().toMillis(),
                            ((TopicRegistry.PartitionCounts) counts).counts(),
                            replyTo)))
        .thenApply(r -> toAssignment(groupId, r));
  }

  CompletionStage<GroupAssignment> heartbeat(String groupId, String memberId, int generation) {
    return askGroup(
            groupId, replyTo -> new GroupCoordinator.Heartbeat(memberId, generation, replyTo))
        .thenApply(r -> toAssignment(groupId, r));
  }

  CompletionStage<Done> leaveGroup(String groupId, String memberId) {
    memberSessions.remove(sessionKey(groupId, memberId));
    return askGroup(groupId, replyTo -> new GroupCoordinator.Leave(memberId, replyTo))
        .thenApply(r -> Done.getInstance());
  }

  CompletionStage<Done> commitOffsets(
      String groupId,
      String memberId,
      int generation,
      Map<TopicPartition, OffsetAndMetadata> offsets) {
    Map<TopicPartition, OffsetAndMetadata> copy = Map.copyOf(offsets);
    if (memberId == null || memberId.isEmpty()) {
      // A standalone consumer's group is listed like any other.
      registerGroup(groupId);
    }
    return askGroup(
            groupId,
            replyTo ->
                new GroupCoordinator.Commit(
                    memberId == null ? "" : memberId, generation, copy, replyTo))
        .thenApply(r -> Done.getInstance());
  }

  CompletionStage<Done> deleteOffsets(String groupId, Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return EntityAsks.failed(LogError.INVALID_REQUEST, "name at least one partition");
    }
    List<TopicPartition> copy = List.copyOf(partitions);
    return askGroup(groupId, replyTo -> new GroupCoordinator.DeleteOffsets(copy, replyTo))
        .thenApply(r -> Done.getInstance());
  }

  CompletionStage<Done> deleteGroup(String groupId) {
    return askGroup(groupId, replyTo -> new GroupCoordinator.DeleteOffsets(List.of(), replyTo))
        .thenCompose(
            r -> {
              registeredGroups.remove(groupId);
              return asks.askRegistry(
                  replyTo -> new TopicRegistry.UnregisterGroup(groupId, replyTo));
            })
        .thenApply(r -> Done.getInstance());
  }

  CompletionStage<Map<TopicPartition, OffsetAndMetadata>> committedOffsets(String groupId) {
    return askGroup(groupId, GroupCoordinator.GetOffsets::new)
        .thenApply(r -> ((GroupCoordinator.Offsets) r).offsets());
  }

  CompletionStage<GroupDescription> describeGroup(String groupId) {
    return askGroup(groupId, GroupCoordinator.Describe::new)
        .thenCompose(r -> describe(groupId, (GroupCoordinator.Description) r));
  }

  /** The group's description with, per partition, its log end offset and lag. */
  private CompletableFuture<GroupDescription> describe(
      String groupId, GroupCoordinator.Description d) {
    Map<TopicPartition, OffsetAndMetadata> committed = new TreeMap<>(d.offsets());
    Set<TopicPartition> partitions = new TreeSet<>(committed.keySet());
    d.members().forEach(m -> partitions.addAll(m.target()));
    Map<TopicPartition, CompletableFuture<Long>> ends = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      ends.put(tp, admin.offsets(tp).thenApply(o -> o[1]).exceptionally(e -> -1L));
    }
    return CompletableFuture.allOf(ends.values().toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<GroupDescription.PartitionOffset> offsets = new ArrayList<>();
              ends.forEach((tp, end) -> offsets.add(partitionOffset(tp, committed, end.join())));
              List<GroupDescription.Member> members = new ArrayList<>();
              d.members()
                  .forEach(
                      m ->
                          members.add(
                              new GroupDescription.Member(
                                  m.memberId(), m.clientId(), m.topics(), m.owned())));
              return new GroupDescription(
                  groupId,
                  d.state(),
                  d.generation(),
                  d.assignor(),
                  List.copyOf(members),
                  List.copyOf(offsets));
            });
  }

  private static GroupDescription.PartitionOffset partitionOffset(
      TopicPartition tp, Map<TopicPartition, OffsetAndMetadata> committed, long logEnd) {
    OffsetAndMetadata c = committed.get(tp);
    long lag = c == null || logEnd < 0 ? -1 : Math.max(0, logEnd - c.offset());
    return new GroupDescription.PartitionOffset(
        tp, c == null ? -1 : c.offset(), c == null ? "" : c.metadata(), logEnd, lag);
  }

  CompletionStage<List<String>> listGroups() {
    return asks.askRegistry(TopicRegistry.ListGroups::new)
        .thenApply(r -> ((TopicRegistry.Names) r).names());
  }

  /** Polls for an HTTP member through a session kept per member (attached on first use). */
  CompletionStage<List<ConsumerRecord>> pollMember(
      StreamLogImpl log,
      String groupId,
      String memberId,
      ConsumerSettings consumer,
      Duration maxWait) {
    if (memberId == null || memberId.isBlank()) {
      return EntityAsks.failed(LogError.INVALID_REQUEST, "a member id is required");
    }
    String key = sessionKey(groupId, memberId);
    GroupConsumerImpl session =
        memberSessions.computeIfAbsent(
            key, k -> GroupConsumerImpl.attach(log, groupId, memberId, consumer));
    return session
        .poll(maxWait)
        .whenComplete(
            (records, failure) -> {
              if (failure != null
                  && EntityAsks.translate(failure, groupId) instanceof LogException e
                  && e.is(LogError.UNKNOWN_MEMBER_ID)) {
                memberSessions.remove(key);
              }
            });
  }

  private static String sessionKey(String groupId, String memberId) {
    return groupId + "\u0000" + memberId;
  }

  /** Forgets member sessions not polled for longer than the longest session timeout. */
  void evictIdleSessions() {
    long idle = settings.maxSessionTimeout().toNanos();
    long now = System.nanoTime();
    memberSessions.entrySet().removeIf(e -> now - e.getValue().lastPollNanos() > idle);
  }

  /**
   * Fetches the log end offsets that the consumer-group lag gauge of this node's groups needs from
   * partitions hosted elsewhere. A partition that does not answer keeps its last value.
   */
  void refreshRemoteLogEndOffsets() {
    for (TopicPartition tp : metrics.committedPartitionsHostedElsewhere()) {
      admin.offsets(tp).thenAccept(o -> metrics.remoteLogEndOffset(tp, o[1]));
    }
  }
}
