package dev.cohort.kafka.internal;

import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResultCollection;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResultCollection;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsResponse;

/**
 * CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs and IncrementalAlterConfigs on the
 * stream-log's topics. Replication factors are accepted and answered as 1 (the journal is the
 * replication); manual replica assignments are refused. A config equal to the node's {@code
 * cohort.log.topic-defaults} is described as a default; deleting a config sets it back to that
 * default. Broker configs are described as empty and cannot be altered.
 */
final class TopicAdminApi {
  private final StreamLog log;
  private final Map<String, String> topicDefaults;

  TopicAdminApi(StreamLog log, Map<String, String> topicDefaults) {
    this.log = log;
    this.topicDefaults = Map.copyOf(topicDefaults);
  }

  CompletionStage<CreateTopicsResponseData> createTopics(CreateTopicsRequestData request) {
    List<CompletableFuture<CreatableTopicResult>> results = new ArrayList<>();
    for (CreatableTopic topic : request.topics()) {
      results.add(create(topic, request.validateOnly()).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored -> {
              CreatableTopicResultCollection collection = new CreatableTopicResultCollection();
              results.forEach(r -> collection.add(r.join()));
              return new CreateTopicsResponseData().setTopics(collection);
            });
  }

  private CompletionStage<CreatableTopicResult> create(CreatableTopic topic, boolean validateOnly) {
    if (!topic.assignments().isEmpty()) {
      return CompletableFuture.completedFuture(
          createError(
              topic.name(),
              Errors.INVALID_REQUEST,
              "manual replica assignment is not supported: partitions live where sharding puts them"));
    }
    if (topic.replicationFactor() == 0 || topic.replicationFactor() < -1) {
      return CompletableFuture.completedFuture(
          createError(
              topic.name(),
              Errors.INVALID_REPLICATION_FACTOR,
              "replication factor must be -1 or at least 1"));
    }
    int partitions = topic.numPartitions() == -1 ? 1 : topic.numPartitions();
    Map<String, String> configs = new LinkedHashMap<>();
    topic.configs().forEach(c -> configs.put(c.name(), c.value()));
    if (validateOnly) {
      return log.describeTopic(topic.name())
          .thenApply(
              d ->
                  createError(
                      topic.name(),
                      Errors.TOPIC_ALREADY_EXISTS,
                      "topic '" + topic.name() + "' already exists"))
          .exceptionally(
              e -> {
                Errors error = KafkaErrors.of(e);
                return error == Errors.UNKNOWN_TOPIC_OR_PARTITION
                    ? new CreatableTopicResult()
                        .setName(topic.name())
                        .setErrorCode(Errors.NONE.code())
                        .setNumPartitions(partitions)
                        .setReplicationFactor((short) 1)
                    : createError(topic.name(), error, KafkaErrors.message(e));
              });
    }
    return log.createTopic(topic.name(), partitions, configs)
        .thenApply(this::created)
        .exceptionally(e -> createError(topic.name(), KafkaErrors.of(e), KafkaErrors.message(e)));
  }

  private CreatableTopicResult created(TopicDescription d) {
    List<CreatableTopicConfigs> configs = new ArrayList<>();
    d.config()
        .toMap()
        .forEach(
            (name, value) ->
                configs.add(
                    new CreatableTopicConfigs()
                        .setName(name)
                        .setValue(value)
                        .setReadOnly(false)
                        .setConfigSource(source(name, value).id())
                        .setIsSensitive(false)));
    return new CreatableTopicResult()
        .setName(d.name())
        .setTopicId(MetadataApi.topicId(d.topicId()))
        .setErrorCode(Errors.NONE.code())
        .setNumPartitions(d.partitions().size())
        .setReplicationFactor((short) 1)
        .setConfigs(configs);
  }

  private static CreatableTopicResult createError(String name, Errors error, String message) {
    return new CreatableTopicResult()
        .setName(name)
        .setErrorCode(error.code())
        .setErrorMessage(message)
        .setNumPartitions(-1)
        .setReplicationFactor((short) -1)
        .setTopicConfigErrorCode(error.code());
  }

  CompletionStage<DeleteTopicsResponseData> deleteTopics(DeleteTopicsRequestData request) {
    List<String> names = new ArrayList<>();
    if (request.topicNames() != null) {
      names.addAll(request.topicNames());
    }
    if (request.topics() != null) {
      request.topics().forEach(t -> names.add(t.name()));
    }
    List<CompletableFuture<DeletableTopicResult>> results = new ArrayList<>();
    for (String name : names) {
      if (name == null) {
        results.add(
            CompletableFuture.completedFuture(
                new DeletableTopicResult()
                    .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())
                    .setErrorMessage("topics are deleted by name")));
        continue;
      }
      results.add(
          log.deleteTopic(name)
              .thenApply(
                  done -> new DeletableTopicResult().setName(name).setErrorCode(Errors.NONE.code()))
              .exceptionally(
                  e ->
                      new DeletableTopicResult()
                          .setName(name)
                          .setErrorCode(KafkaErrors.of(e).code())
                          .setErrorMessage(KafkaErrors.message(e)))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored -> {
              DeletableTopicResultCollection collection = new DeletableTopicResultCollection();
              results.forEach(r -> collection.add(r.join()));
              return new DeleteTopicsResponseData().setResponses(collection);
            });
  }

  CompletionStage<CreatePartitionsResponseData> createPartitions(
      CreatePartitionsRequestData request) {
    List<CompletableFuture<CreatePartitionsTopicResult>> results = new ArrayList<>();
    for (CreatePartitionsRequestData.CreatePartitionsTopic t : request.topics()) {
      if (t.assignments() != null && !t.assignments().isEmpty()) {
        results.add(
            CompletableFuture.completedFuture(
                new CreatePartitionsTopicResult()
                    .setName(t.name())
                    .setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("manual replica assignment is not supported")));
        continue;
      }
      CompletionStage<TopicDescription> stage =
          request.validateOnly()
              ? log.describeTopic(t.name())
              : log.createPartitions(t.name(), t.count());
      results.add(
          stage
              .thenApply(
                  d ->
                      new CreatePartitionsTopicResult()
                          .setName(t.name())
                          .setErrorCode(Errors.NONE.code()))
              .exceptionally(
                  e ->
                      new CreatePartitionsTopicResult()
                          .setName(t.name())
                          .setErrorCode(KafkaErrors.of(e).code())
                          .setErrorMessage(KafkaErrors.message(e)))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new CreatePartitionsResponseData()
                    .setResults(results.stream().map(CompletableFuture::join).toList()));
  }

  CompletionStage<DescribeConfigsResponseData> describeConfigs(DescribeConfigsRequestData request) {
    List<CompletableFuture<DescribeConfigsResult>> results = new ArrayList<>();
    for (DescribeConfigsRequestData.DescribeConfigsResource r : request.resources()) {
      DescribeConfigsResult base =
          new DescribeConfigsResult()
              .setResourceType(r.resourceType())
              .setResourceName(r.resourceName());
      if (r.resourceType() != ConfigResource.Type.TOPIC.id()) {
        results.add(
            CompletableFuture.completedFuture(
                base.setErrorCode(Errors.NONE.code()).setConfigs(new ArrayList<>())));
        continue;
      }
      results.add(
          log.describeTopic(r.resourceName())
              .thenApply(
                  d -> {
                    List<DescribeConfigsResourceResult> configs = new ArrayList<>();
                    d.config()
                        .toMap()
                        .forEach(
                            (name, value) -> {
                              if (r.configurationKeys() == null
                                  || r.configurationKeys().contains(name)) {
                                configs.add(
                                    new DescribeConfigsResourceResult()
                                        .setName(name)
                                        .setValue(value)
                                        .setReadOnly(false)
                                        .setConfigSource(source(name, value).id())
                                        .setIsSensitive(false));
                              }
                            });
                    return base.setErrorCode(Errors.NONE.code()).setConfigs(configs);
                  })
              .exceptionally(
                  e ->
                      base.setErrorCode(KafkaErrors.of(e).code())
                          .setErrorMessage(KafkaErrors.message(e))
                          .setConfigs(new ArrayList<>()))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new DescribeConfigsResponseData()
                    .setResults(results.stream().map(CompletableFuture::join).toList()));
  }

  private DescribeConfigsResponse.ConfigSource source(String name, String value) {
    return value.equals(topicDefaults.get(name))
        ? DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG
        : DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG;
  }

  CompletionStage<IncrementalAlterConfigsResponseData> incrementalAlterConfigs(
      IncrementalAlterConfigsRequestData request) {
    List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
    for (IncrementalAlterConfigsRequestData.AlterConfigsResource r : request.resources()) {
      results.add(alter(r, request.validateOnly()).toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new IncrementalAlterConfigsResponseData()
                    .setResponses(results.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<AlterConfigsResourceResponse> alter(
      IncrementalAlterConfigsRequestData.AlterConfigsResource r, boolean validateOnly) {
    AlterConfigsResourceResponse base =
        new AlterConfigsResourceResponse()
            .setResourceType(r.resourceType())
            .setResourceName(r.resourceName());
    if (r.resourceType() != ConfigResource.Type.TOPIC.id()) {
      return CompletableFuture.completedFuture(
          base.setErrorCode(Errors.INVALID_REQUEST.code())
              .setErrorMessage("only topic configs can be altered"));
    }
    Map<String, String> changes = new LinkedHashMap<>();
    for (IncrementalAlterConfigsRequestData.AlterableConfig c : r.configs()) {
      AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(c.configOperation());
      if (op == AlterConfigOp.OpType.SET) {
        changes.put(c.name(), c.value());
      } else if (op == AlterConfigOp.OpType.DELETE && topicDefaults.containsKey(c.name())) {
        changes.put(c.name(), topicDefaults.get(c.name()));
      } else {
        return CompletableFuture.completedFuture(
            base.setErrorCode(Errors.INVALID_CONFIG.code())
                .setErrorMessage("cannot " + op + " config '" + c.name() + "'"));
      }
    }
    CompletionStage<TopicDescription> stage =
        validateOnly
            ? log.describeTopic(r.resourceName())
            : log.alterTopicConfigs(r.resourceName(), changes);
    return stage
        .thenApply(d -> base.setErrorCode(Errors.NONE.code()))
        .exceptionally(
            e ->
                base.setErrorCode(KafkaErrors.of(e).code())
                    .setErrorMessage(KafkaErrors.message(e)));
  }
}
