package dev.cohort.kafka.internal;

import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup of Kafka's classic group protocol, mapped onto the
 * stream-log's consumer groups, whose coordinator entity computes assignments itself.
 *
 * <p>JoinGroup joins the stream-log group (or re-joins it) and answers at once, without Kafka's
 * join barrier: the member is never the leader (the leader id names no member), so it sends an
 * empty SyncGroup and receives the assignment the coordinator entity gave it. A Heartbeat is a
 * stream-log heartbeat; when the generation or the member's assignment changed, the answer is
 * REBALANCE_IN_PROGRESS and the member rejoins. Until it does, its heartbeats are not passed on: a
 * stream-log heartbeat acknowledges the revocations of the previous answer, and the member has not
 * stopped consuming yet. Only eager assignors are offered to the coordinator ({@code range}, {@code
 * roundrobin}): an eager member gives up all its partitions before it rejoins, so the rejoin is a
 * true acknowledgement. A member offering only {@code cooperative-sticky} gets
 * INCONSISTENT_GROUP_PROTOCOL.
 */
final class GroupMembershipApi {
  /** The leader id in JoinGroup answers: names no member, so every member is a follower. */
  static final String NO_LEADER = "cohort-coordinator";

  private final StreamLog log;
  private final MemberViews views;

  GroupMembershipApi(StreamLog log, MemberViews views) {
    this.log = log;
    this.views = views;
  }

  CompletionStage<JoinGroupResponseData> join(JoinGroupRequestData request, String clientId) {
    if (!ConsumerProtocolCodec.PROTOCOL_TYPE.equals(request.protocolType())) {
      return joinError(Errors.INCONSISTENT_GROUP_PROTOCOL);
    }
    JoinGroupRequestProtocol chosen = null;
    for (JoinGroupRequestProtocol p : request.protocols()) {
      if (p.name().equals("range") || p.name().equals("roundrobin")) {
        chosen = p;
        break;
      }
    }
    if (chosen == null) {
      return joinError(Errors.INCONSISTENT_GROUP_PROTOCOL);
    }
    List<String> topics;
    try {
      topics = ConsumerProtocolCodec.topics(chosen.metadata());
    } catch (IllegalArgumentException e) {
      return joinError(Errors.INVALID_REQUEST);
    }
    ConsumerSettings base = log.consumerSettings();
    ConsumerSettings settings;
    try {
      settings =
          new ConsumerSettings(
              base.fetchMaxBytes(),
              base.maxPollRecords(),
              base.fetchMaxWait(),
              base.autoOffsetReset(),
              false,
              base.autoCommitInterval(),
              Duration.ofMillis(request.sessionTimeoutMs()),
              base.heartbeatInterval(),
              ConsumerSettings.Assignor.parse(chosen.name()),
              clientId == null || clientId.isEmpty() ? "kafka-client" : clientId);
    } catch (RuntimeException e) {
      return joinError(KafkaErrors.of(e));
    }
    String memberId =
        request.memberId() == null || request.memberId().isEmpty() ? null : request.memberId();
    String protocol = chosen.name();
    return log.joinGroup(request.groupId(), memberId, topics, settings)
        .thenApply(
            a -> {
              views.put(
                  request.groupId(),
                  a.memberId(),
                  new MemberViews.View(a.generation(), a.assignment(), protocol, topics, false));
              return new JoinGroupResponseData()
                  .setErrorCode(Errors.NONE.code())
                  .setGenerationId(a.generation())
                  .setProtocolType(ConsumerProtocolCodec.PROTOCOL_TYPE)
                  .setProtocolName(protocol)
                  .setLeader(NO_LEADER)
                  .setMemberId(a.memberId())
                  .setMembers(new ArrayList<>());
            })
        .exceptionally(
            e -> {
              Errors error = KafkaErrors.of(e);
              if (memberId != null && error == Errors.UNKNOWN_MEMBER_ID) {
                views.remove(request.groupId(), memberId);
              }
              return joinErrorData(error);
            });
  }

  private static CompletionStage<JoinGroupResponseData> joinError(Errors error) {
    return CompletableFuture.completedFuture(joinErrorData(error));
  }

  private static JoinGroupResponseData joinErrorData(Errors error) {
    return new JoinGroupResponseData()
        .setErrorCode(error.code())
        .setGenerationId(-1)
        .setMemberId("")
        .setLeader("")
        .setProtocolName(null);
  }

  CompletionStage<SyncGroupResponseData> sync(SyncGroupRequestData request) {
    MemberViews.View view = views.get(request.groupId(), request.memberId());
    Errors error =
        view == null
            ? Errors.UNKNOWN_MEMBER_ID
            : view.generation() != request.generationId() ? Errors.ILLEGAL_GENERATION : Errors.NONE;
    if (error != Errors.NONE) {
      return CompletableFuture.completedFuture(
          new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]));
    }
    return CompletableFuture.completedFuture(
        new SyncGroupResponseData()
            .setErrorCode(Errors.NONE.code())
            .setProtocolType(ConsumerProtocolCodec.PROTOCOL_TYPE)
            .setProtocolName(view.protocol())
            .setAssignment(ConsumerProtocolCodec.assignment(view.delivered())));
  }

  CompletionStage<HeartbeatResponseData> heartbeat(HeartbeatRequestData request) {
    String group = request.groupId();
    String member = request.memberId();
    MemberViews.View view = views.get(group, member);
    if (view == null) {
      return heartbeatAnswer(Errors.UNKNOWN_MEMBER_ID);
    }
    if (view.rejoinPending()) {
      return heartbeatAnswer(Errors.REBALANCE_IN_PROGRESS);
    }
    if (view.generation() != request.generationId()) {
      return heartbeatAnswer(Errors.ILLEGAL_GENERATION);
    }
    return log.heartbeat(group, member, request.generationId())
        .thenApply(
            a -> {
              if (a.generation() != view.generation() || !sameSet(a, view)) {
                views.put(group, member, view.rejoin());
                return new HeartbeatResponseData()
                    .setErrorCode(Errors.REBALANCE_IN_PROGRESS.code());
              }
              return new HeartbeatResponseData().setErrorCode(Errors.NONE.code());
            })
        .exceptionally(
            e -> {
              Errors error = KafkaErrors.of(e);
              if (error == Errors.UNKNOWN_MEMBER_ID) {
                views.remove(group, member);
              }
              return new HeartbeatResponseData().setErrorCode(error.code());
            });
  }

  private static boolean sameSet(GroupAssignment a, MemberViews.View view) {
    Set<TopicPartition> now = new HashSet<>(a.assignment());
    return now.equals(new HashSet<>(view.delivered()));
  }

  private static CompletionStage<HeartbeatResponseData> heartbeatAnswer(Errors error) {
    return CompletableFuture.completedFuture(
        new HeartbeatResponseData().setErrorCode(error.code()));
  }

  CompletionStage<LeaveGroupResponseData> leave(LeaveGroupRequestData request, short version) {
    String group = request.groupId();
    if (version < 3) {
      return leaveOne(group, request.memberId())
          .thenApply(error -> new LeaveGroupResponseData().setErrorCode(error.code()));
    }
    List<CompletableFuture<LeaveGroupResponseData.MemberResponse>> members = new ArrayList<>();
    for (LeaveGroupRequestData.MemberIdentity m : request.members()) {
      members.add(
          leaveOne(group, m.memberId())
              .thenApply(
                  error ->
                      new LeaveGroupResponseData.MemberResponse()
                          .setMemberId(m.memberId())
                          .setGroupInstanceId(m.groupInstanceId())
                          .setErrorCode(error.code()))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(members.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new LeaveGroupResponseData()
                    .setErrorCode(Errors.NONE.code())
                    .setMembers(members.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<Errors> leaveOne(String group, String memberId) {
    if (memberId == null || memberId.isEmpty()) {
      return CompletableFuture.completedFuture(Errors.UNKNOWN_MEMBER_ID);
    }
    views.remove(group, memberId);
    return log.leaveGroup(group, memberId)
        .thenApply(done -> Errors.NONE)
        .exceptionally(KafkaErrors::of);
  }
}
