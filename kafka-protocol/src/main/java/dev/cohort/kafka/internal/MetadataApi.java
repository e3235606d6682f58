package dev.cohort.kafka.internal;

import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBrokerCollection;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBrokerCollection;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopicCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;

/**
 * Metadata, DescribeCluster and FindCoordinator. The brokers are the cluster's members that run a
 * Kafka listener; a partition's leader is the node hosting its entity (this node when the host runs
 * no listener, since any node reaches any entity through Cluster Sharding). This node coordinates
 * every group that asks it: the group's coordinator entity is reached through sharding too. Topics
 * come from the stream-log's registry; Kafka's automatic topic creation is not done.
 */
final class MetadataApi {
  private final StreamLog log;
  private final BrokerIdentity self;
  private final ClusterBrokers brokers;
  private final Leadership leadership;

  MetadataApi(StreamLog log, ClusterBrokers brokers, Leadership leadership) {
    this.log = log;
    this.self = brokers.self();
    this.brokers = brokers;
    this.leadership = leadership;
  }

  CompletionStage<MetadataResponseData> metadata(MetadataRequestData request, short version) {
    CompletionStage<List<String>> names =
        request.topics() == null
            ? log.listTopics()
            : CompletableFuture.completedFuture(
                request.topics().stream()
                    .map(MetadataRequestData.MetadataRequestTopic::name)
                    .toList());
    return names.thenCompose(
        list -> {
          List<CompletableFuture<MetadataResponseTopic>> topics = new ArrayList<>();
          for (String name : list) {
            if (name == null) {
              topics.add(
                  CompletableFuture.completedFuture(
                      new MetadataResponseTopic().setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
              continue;
            }
            topics.add(
                log.describeTopic(name)
                    .thenApply(this::topic)
                    .exceptionally(
                        e ->
                            new MetadataResponseTopic()
                                .setName(name)
                                .setErrorCode(KafkaErrors.of(e).code()))
                    .toCompletableFuture());
          }
          return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new))
              .thenApply(
                  ignored -> {
                    MetadataResponseTopicCollection collection =
                        new MetadataResponseTopicCollection();
                    topics.forEach(t -> collection.add(t.join()));
                    return new MetadataResponseData()
                        .setBrokers(brokers())
                        .setClusterId(self.clusterId())
                        .setControllerId(self.nodeId())
                        .setTopics(collection);
                  });
        });
  }

  private MetadataResponseTopic topic(TopicDescription description) {
    leadership.learn(description);
    List<MetadataResponsePartition> partitions = new ArrayList<>();
    for (TopicDescription.PartitionDescription p : description.partitions()) {
      int leader =
          p.node() == null || leadership.leadsHere(p.node())
              ? self.nodeId()
              : brokers.at(p.node()).map(ClusterBrokers.Broker::nodeId).orElse(self.nodeId());
      partitions.add(
          new MetadataResponsePartition()
              .setPartitionIndex(p.partition())
              .setLeaderId(leader)
              .setLeaderEpoch(-1)
              .setReplicaNodes(List.of(leader))
              .setIsrNodes(List.of(leader))
              .setOfflineReplicas(List.of()));
    }
    return new MetadataResponseTopic()
        .setName(description.name())
        .setTopicId(topicId(description.topicId()))
        .setIsInternal(false)
        .setPartitions(partitions);
  }

  static Uuid topicId(String id) {
    try {
      UUID uuid = UUID.fromString(id);
      return new Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    } catch (IllegalArgumentException | NullPointerException e) {
      return Uuid.ZERO_UUID;
    }
  }

  private MetadataResponseBrokerCollection brokers() {
    MetadataResponseBrokerCollection out = new MetadataResponseBrokerCollection();
    for (ClusterBrokers.Broker b : brokers.brokers()) {
      out.add(
          new MetadataResponseBroker().setNodeId(b.nodeId()).setHost(b.host()).setPort(b.port()));
    }
    return out;
  }

  DescribeClusterResponseData describeCluster() {
    DescribeClusterBrokerCollection out = new DescribeClusterBrokerCollection();
    for (ClusterBrokers.Broker b : brokers.brokers()) {
      out.add(
          new DescribeClusterBroker().setBrokerId(b.nodeId()).setHost(b.host()).setPort(b.port()));
    }
    return new DescribeClusterResponseData()
        .setClusterId(self.clusterId())
        .setControllerId(self.nodeId())
        .setBrokers(out);
  }

  /**
   * Groups are coordinated here; transactional ids get an error that says transactions are not
   * supported, which the producer reports from {@code initTransactions()}.
   */
  FindCoordinatorResponseData findCoordinator(FindCoordinatorRequestData request, short version) {
    boolean transactional = request.keyType() == CoordinatorType.TRANSACTION.id();
    Errors error = transactional ? Errors.UNSUPPORTED_VERSION : Errors.NONE;
    String message =
        transactional ? "Cohort does not support Kafka transactions (transactional.id)" : null;
    if (version < 4) {
      return new FindCoordinatorResponseData()
          .setErrorCode(error.code())
          .setErrorMessage(message)
          .setNodeId(transactional ? -1 : self.nodeId())
          .setHost(transactional ? "" : self.host())
          .setPort(transactional ? -1 : self.port());
    }
    List<FindCoordinatorResponseData.Coordinator> coordinators = new ArrayList<>();
    for (String key : request.coordinatorKeys()) {
      coordinators.add(
          new FindCoordinatorResponseData.Coordinator()
              .setKey(key)
              .setErrorCode(error.code())
              .setErrorMessage(message)
              .setNodeId(transactional ? -1 : self.nodeId())
              .setHost(transactional ? "" : self.host())
              .setPort(transactional ? -1 : self.port()));
    }
    return new FindCoordinatorResponseData().setCoordinators(coordinators);
  }
}
