package dev.cohort.kafka.internal;

import dev.cohort.log.GroupDescription;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicPartition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * OffsetCommit, OffsetFetch, DeleteGroups, OffsetDelete, DescribeGroups and ListGroups over the
 * stream-log's consumer groups (deletions only while a group has no members, as in Kafka). A commit
 * from a member is checked by the group's coordinator entity (member and generation); a member that
 * was told to rejoin still commits what it consumed before rejoining (Kafka's eager consumer
 * commits before its JoinGroup), so when such a commit is refused for its old generation it is
 * retried in the current one if the member still owns every committed partition. A commit with an
 * empty member id and generation -1 (AdminClient, {@code kafka-consumer-groups --reset-offsets}) is
 * a standalone commit, accepted only while the group has no members.
 */
final class GroupOffsetsApi {
  private final StreamLog log;
  private final MemberViews views;

  GroupOffsetsApi(StreamLog log, MemberViews views) {
    this.log = log;
    this.views = views;
  }

  CompletionStage<OffsetCommitResponseData> commit(OffsetCommitRequestData request) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
    for (OffsetCommitRequestData.OffsetCommitRequestTopic t : request.topics()) {
      for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
        offsets.put(
            new TopicPartition(t.name(), p.partitionIndex()),
            new OffsetAndMetadata(p.committedOffset(), p.committedMetadata()));
      }
    }
    String group = request.groupId();
    String member =
        request.memberId() == null || request.memberId().isEmpty() ? null : request.memberId();
    int generation = request.generationIdOrMemberEpoch();
    return log.commitOffsets(group, member, generation, offsets)
        .thenApply(done -> Errors.NONE)
        .exceptionallyCompose(
            e -> {
              Errors error = KafkaErrors.of(e);
              if (error == Errors.ILLEGAL_GENERATION && member != null) {
                return retryInCurrentGeneration(group, member, offsets);
              }
              return CompletableFuture.completedFuture(error);
            })
        .thenApply(error -> commitResponse(request, error));
  }

  private CompletionStage<Errors> retryInCurrentGeneration(
      String group, String member, Map<TopicPartition, OffsetAndMetadata> offsets) {
    MemberViews.View view = views.get(group, member);
    if (view == null || !view.rejoinPending()) {
      return CompletableFuture.completedFuture(Errors.ILLEGAL_GENERATION);
    }
    return log.describeGroup(group)
        .thenCompose(
            d -> {
              boolean owns =
                  d.members().stream()
                      .filter(m -> m.memberId().equals(member))
                      .anyMatch(m -> new HashSet<>(m.assignment()).containsAll(offsets.keySet()));
              if (!owns) {
                return CompletableFuture.completedFuture(Errors.ILLEGAL_GENERATION);
              }
              return log.commitOffsets(group, member, d.generation(), offsets)
                  .thenApply(done -> Errors.NONE);
            })
        .exceptionally(KafkaErrors::of);
  }

  private static OffsetCommitResponseData commitResponse(
      OffsetCommitRequestData request, Errors error) {
    List<OffsetCommitResponseTopic> topics = new ArrayList<>();
    for (OffsetCommitRequestData.OffsetCommitRequestTopic t : request.topics()) {
      topics.add(
          new OffsetCommitResponseTopic()
              .setName(t.name())
              .setPartitions(
                  t.partitions().stream()
                      .map(
                          p ->
                              new OffsetCommitResponsePartition()
                                  .setPartitionIndex(p.partitionIndex())
                                  .setErrorCode(error.code()))
                      .toList()));
    }
    return new OffsetCommitResponseData().setTopics(topics);
  }

  // ---- OffsetFetch ----

  CompletionStage<OffsetFetchResponseData> fetch(OffsetFetchRequestData request, short version) {
    if (version < 8) {
      Map<String, List<Integer>> wanted = null;
      if (request.topics() != null) {
        wanted = new LinkedHashMap<>();
        for (OffsetFetchRequestData.OffsetFetchRequestTopic t : request.topics()) {
          wanted.put(t.name(), t.partitionIndexes());
        }
      }
      Map<String, List<Integer>> topics = wanted;
      return committed(request.groupId())
          .thenApply(
              c -> {
                OffsetFetchResponseData response =
                    new OffsetFetchResponseData().setErrorCode(c.error().code());
                for (Map.Entry<String, List<Integer>> t : select(c.offsets(), topics).entrySet()) {
                  List<OffsetFetchResponseData.OffsetFetchResponsePartition> partitions =
                      new ArrayList<>();
                  for (int p : t.getValue()) {
                    OffsetAndMetadata o = c.offsets().get(new TopicPartition(t.getKey(), p));
                    partitions.add(
                        new OffsetFetchResponseData.OffsetFetchResponsePartition()
                            .setPartitionIndex(p)
                            .setCommittedOffset(o == null ? -1 : o.offset())
                            .setMetadata(o == null ? "" : o.metadata())
                            .setErrorCode(Errors.NONE.code()));
                  }
                  response
                      .topics()
                      .add(
                          new OffsetFetchResponseData.OffsetFetchResponseTopic()
                              .setName(t.getKey())
                              .setPartitions(partitions));
                }
                return response;
              });
    }
    List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> groups =
        new ArrayList<>();
    for (OffsetFetchRequestData.OffsetFetchRequestGroup g : request.groups()) {
      Map<String, List<Integer>> wanted = null;
      if (g.topics() != null) {
        wanted = new LinkedHashMap<>();
        for (OffsetFetchRequestData.OffsetFetchRequestTopics t : g.topics()) {
          wanted.put(t.name(), t.partitionIndexes());
        }
      }
      Map<String, List<Integer>> topics = wanted;
      groups.add(
          committed(g.groupId())
              .thenApply(c -> group(g.groupId(), c, topics))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new OffsetFetchResponseData()
                    .setGroups(groups.stream().map(CompletableFuture::join).toList()));
  }

  private static OffsetFetchResponseData.OffsetFetchResponseGroup group(
      String groupId, Committed c, Map<String, List<Integer>> topics) {
    List<OffsetFetchResponseData.OffsetFetchResponseTopics> out = new ArrayList<>();
    for (Map.Entry<String, List<Integer>> t : select(c.offsets(), topics).entrySet()) {
      List<OffsetFetchResponseData.OffsetFetchResponsePartitions> partitions = new ArrayList<>();
      for (int p : t.getValue()) {
        OffsetAndMetadata o = c.offsets().get(new TopicPartition(t.getKey(), p));
        partitions.add(
            new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                .setPartitionIndex(p)
                .setCommittedOffset(o == null ? -1 : o.offset())
                .setMetadata(o == null ? "" : o.metadata())
                .setErrorCode(Errors.NONE.code()));
      }
      out.add(
          new OffsetFetchResponseData.OffsetFetchResponseTopics()
              .setName(t.getKey())
              .setPartitions(partitions));
    }
    return new OffsetFetchResponseData.OffsetFetchResponseGroup()
        .setGroupId(groupId)
        .setErrorCode(c.error().code())
        .setTopics(out);
  }

  private record Committed(Map<TopicPartition, OffsetAndMetadata> offsets, Errors error) {}

  /** The group's committed offsets (an unknown group has none, as in Kafka), or the failure. */
  private CompletionStage<Committed> committed(String groupId) {
    return log.committedOffsets(groupId)
        .thenApply(offsets -> new Committed(offsets, Errors.NONE))
        .exceptionally(e -> new Committed(Map.of(), KafkaErrors.of(e)));
  }

  /** The requested partitions by topic, or every committed one when {@code wanted} is null. */
  private static Map<String, List<Integer>> select(
      Map<TopicPartition, OffsetAndMetadata> offsets, Map<String, List<Integer>> wanted) {
    if (wanted != null) {
      return wanted;
    }
    Map<String, List<Integer>> all = new TreeMap<>();
    offsets.keySet().stream()
        .sorted()
        .forEach(tp -> all.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
    return all;
  }

  // ---- DeleteGroups and OffsetDelete ----

  CompletionStage<DeleteGroupsResponseData> deleteGroups(DeleteGroupsRequestData request) {
    List<CompletableFuture<DeleteGroupsResponseData.DeletableGroupResult>> results =
        new ArrayList<>();
    for (String groupId : request.groupsNames()) {
      results.add(
          log.deleteGroup(groupId)
              .thenApply(done -> Errors.NONE)
              .exceptionally(KafkaErrors::of)
              .thenApply(
                  error ->
                      new DeleteGroupsResponseData.DeletableGroupResult()
                          .setGroupId(groupId)
                          .setErrorCode(error.code()))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored -> {
              DeleteGroupsResponseData.DeletableGroupResultCollection collection =
                  new DeleteGroupsResponseData.DeletableGroupResultCollection();
              results.forEach(r -> collection.add(r.join()));
              return new DeleteGroupsResponseData().setResults(collection);
            });
  }

  CompletionStage<OffsetDeleteResponseData> deleteOffsets(OffsetDeleteRequestData request) {
    List<TopicPartition> partitions = new ArrayList<>();
    request
        .topics()
        .forEach(
            t ->
                t.partitions()
                    .forEach(
                        p -> partitions.add(new TopicPartition(t.name(), p.partitionIndex()))));
    return log.deleteOffsets(request.groupId(), partitions)
        .thenApply(done -> Errors.NONE)
        .exceptionally(KafkaErrors::of)
        .thenApply(
            error -> {
              OffsetDeleteResponseData.OffsetDeleteResponseTopicCollection topics =
                  new OffsetDeleteResponseData.OffsetDeleteResponseTopicCollection();
              for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : request.topics()) {
                OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection ps =
                    new OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection();
                t.partitions()
                    .forEach(
                        p ->
                            ps.add(
                                new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(Errors.NONE.code())));
                topics.add(
                    new OffsetDeleteResponseData.OffsetDeleteResponseTopic()
                        .setName(t.name())
                        .setPartitions(ps));
              }
              return new OffsetDeleteResponseData().setErrorCode(error.code()).setTopics(topics);
            });
  }

  // ---- DescribeGroups and ListGroups ----

  CompletionStage<DescribeGroupsResponseData> describe(DescribeGroupsRequestData request) {
    List<CompletableFuture<DescribedGroup>> groups = new ArrayList<>();
    for (String groupId : request.groups()) {
      groups.add(
          log.describeGroup(groupId)
              .thenApply(GroupOffsetsApi::described)
              .exceptionally(
                  e -> {
                    return new DescribedGroup()
                        .setGroupId(groupId)
                        .setErrorCode(KafkaErrors.of(e).code())
                        .setGroupState("Dead")
                        .setProtocolType("")
                        .setProtocolData("");
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new DescribeGroupsResponseData()
                    .setGroups(groups.stream().map(CompletableFuture::join).toList()));
  }

  private static DescribedGroup described(GroupDescription d) {
    List<DescribedGroupMember> members = new ArrayList<>();
    for (GroupDescription.Member m : d.members()) {
      members.add(
          new DescribedGroupMember()
              .setMemberId(m.memberId())
              .setClientId(m.clientId())
              .setClientHost("")
              .setMemberMetadata(ConsumerProtocolCodec.subscription(m.topics()))
              .setMemberAssignment(ConsumerProtocolCodec.assignment(m.assignment())));
    }
    return new DescribedGroup()
        .setGroupId(d.groupId())
        .setErrorCode(Errors.NONE.code())
        .setGroupState(d.state())
        .setProtocolType(ConsumerProtocolCodec.PROTOCOL_TYPE)
        .setProtocolData(d.assignor() == null ? "" : d.assignor())
        .setMembers(members);
  }

  CompletionStage<ListGroupsResponseData> list(ListGroupsRequestData request) {
    return log.listGroups()
        .thenCompose(
            ids -> {
              List<CompletableFuture<ListGroupsResponseData.ListedGroup>> groups =
                  new ArrayList<>();
              for (String id : ids) {
                groups.add(
                    log.describeGroup(id)
                        .thenApply(d -> listed(id, d.state()))
                        .exceptionally(e -> listed(id, "Dead"))
                        .toCompletableFuture());
              }
              return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new))
                  .thenApply(
                      ignored ->
                          groups.stream()
                              .map(CompletableFuture::join)
                              .filter(
                                  g ->
                                      request.statesFilter() == null
                                          || request.statesFilter().isEmpty()
                                          || request.statesFilter().stream()
                                              .anyMatch(s -> s.equalsIgnoreCase(g.groupState())))
                              .filter(
                                  g ->
                                      request.typesFilter() == null
                                          || request.typesFilter().isEmpty()
                                          || request.typesFilter().stream()
                                              .anyMatch(t -> t.equalsIgnoreCase("classic")))
                              .toList());
            })
        .thenApply(groups -> new ListGroupsResponseData().setGroups(new ArrayList<>(groups)));
  }

  private static ListGroupsResponseData.ListedGroup listed(String id, String state) {
    return new ListGroupsResponseData.ListedGroup()
        .setGroupId(id)
        .setProtocolType(ConsumerProtocolCodec.PROTOCOL_TYPE)
        .setGroupState(state)
        .setGroupType("classic");
  }
}
