package dev.cohort.kafka.internal;

import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * What a Kafka request needs, in Cohort's roles: Kafka's ACL operations mapped onto read, write and
 * admin on topics, groups and the cluster. Produce needs write on its topics; Fetch and ListOffsets
 * read on theirs; group calls read on the group (OffsetCommit also on its topics); deleting groups
 * or offsets, and creating, deleting or altering topics, admin. Metadata, InitProducerId,
 * FindCoordinator and DescribeCluster need only an authenticated user (Metadata's answer is then
 * filtered to the topics the user may read, as Kafka does). Pure functions of the request.
 */
final class KafkaAcl {
  private KafkaAcl() {}

  /** One access on some resources. */
  record Need(Access access, List<Resource> resources) {}

  /** The accesses {@code data} (a request of {@code key}) needs; empty: any authenticated user. */
  static List<Need> needs(ApiKeys key, ApiMessage data) {
    return switch (key) {
      case PRODUCE ->
          topics(
              Access.WRITE,
              ((ProduceRequestData) data).topicData().stream().map(t -> t.name()).toList());
      case FETCH ->
          topics(
              Access.READ,
              ((FetchRequestData) data).topics().stream().map(t -> t.topic()).toList());
      case LIST_OFFSETS ->
          topics(
              Access.READ,
              ((ListOffsetsRequestData) data).topics().stream().map(t -> t.name()).toList());
      case JOIN_GROUP -> group(Access.READ, ((JoinGroupRequestData) data).groupId());
      case SYNC_GROUP -> group(Access.READ, ((SyncGroupRequestData) data).groupId());
      case HEARTBEAT -> group(Access.READ, ((HeartbeatRequestData) data).groupId());
      case LEAVE_GROUP -> group(Access.READ, ((LeaveGroupRequestData) data).groupId());
      case OFFSET_COMMIT -> offsetCommit((OffsetCommitRequestData) data);
      case OFFSET_FETCH -> offsetFetch((OffsetFetchRequestData) data);
      case DESCRIBE_GROUPS -> groups(Access.READ, ((DescribeGroupsRequestData) data).groups());
      case LIST_GROUPS -> List.of(new Need(Access.READ, List.of(Resource.all(ResourceType.GROUP))));
      case DELETE_GROUPS -> groups(Access.ADMIN, ((DeleteGroupsRequestData) data).groupsNames());
      case OFFSET_DELETE -> group(Access.ADMIN, ((OffsetDeleteRequestData) data).groupId());
      case CREATE_TOPICS ->
          topics(
              Access.ADMIN,
              ((CreateTopicsRequestData) data).topics().stream().map(t -> t.name()).toList());
      case DELETE_TOPICS -> deleteTopics((DeleteTopicsRequestData) data);
      case CREATE_PARTITIONS ->
          topics(
              Access.ADMIN,
              ((CreatePartitionsRequestData) data).topics().stream().map(t -> t.name()).toList());
      case DESCRIBE_CONFIGS ->
          configs(
              Access.READ,
              ((DescribeConfigsRequestData) data)
                  .resources().stream()
                      .map(r -> configResource(r.resourceType(), r.resourceName()))
                      .toList());
      case INCREMENTAL_ALTER_CONFIGS ->
          configs(
              Access.ADMIN,
              ((IncrementalAlterConfigsRequestData) data)
                  .resources().stream()
                      .map(r -> configResource(r.resourceType(), r.resourceName()))
                      .toList());
      default -> List.of();
    };
  }

  /** The Kafka error for a refusal on {@code resource}'s type. */
  static Errors denial(Resource resource) {
    return switch (resource.type()) {
      case TOPIC -> Errors.TOPIC_AUTHORIZATION_FAILED;
      case GROUP -> Errors.GROUP_AUTHORIZATION_FAILED;
      default -> Errors.CLUSTER_AUTHORIZATION_FAILED;
    };
  }

  private static List<Need> offsetCommit(OffsetCommitRequestData data) {
    List<Resource> resources = new ArrayList<>();
    resources.add(Resource.group(data.groupId()));
    data.topics().forEach(t -> resources.add(Resource.topic(t.name())));
    return List.of(new Need(Access.READ, resources));
  }

  private static List<Need> offsetFetch(OffsetFetchRequestData data) {
    List<String> groups = new ArrayList<>();
    if (data.groups() != null && !data.groups().isEmpty()) {
      data.groups().forEach(g -> groups.add(g.groupId()));
    } else {
      groups.add(data.groupId());
    }
    return groups(Access.READ, groups);
  }

  private static List<Need> deleteTopics(DeleteTopicsRequestData data) {
    List<String> names = new ArrayList<>(data.topicNames());
    data.topics().forEach(t -> names.add(t.name()));
    return topics(Access.ADMIN, names);
  }

  /** Kafka's config resource type 2 is a topic; anything else (a broker) is the cluster. */
  private static Resource configResource(byte type, String name) {
    return type == 2 ? Resource.topic(name) : Resource.cluster();
  }

  private static List<Need> configs(Access access, List<Resource> resources) {
    return List.of(new Need(access, resources));
  }

  private static List<Need> topics(Access access, List<String> names) {
    return List.of(new Need(access, names.stream().map(Resource::topic).toList()));
  }

  private static List<Need> group(Access access, String group) {
    return List.of(new Need(access, List.of(Resource.group(group))));
  }

  private static List<Need> groups(Access access, List<String> groups) {
    return List.of(new Need(access, groups.stream().map(Resource::group).toList()));
  }
}
