package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.LogError;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The stream log over HTTP: topics ({@code /v1/topics}), producing and fetching records, idempotent
 * producer ids ({@code /v1/producers}), and consumer groups ({@code /v1/groups}). Keys, values and
 * headers travel as text when they are valid UTF-8 and as base64 ({@code keyBase64}, {@code
 * valueBase64}, {@code headersBase64}) otherwise; a null value is a tombstone.
 *
 * <p>Group members that consume over HTTP have their fetch positions kept by the node that serves
 * them, as a Kafka client keeps its positions: a position starts at the group's committed offset
 * (or by {@code auto.offset.reset}) and advances with each fetch; only commits are durable.
 */
public final class LogRoutes extends JsonRoutes implements RouteGroup {
  private final StreamLog log;

  /** The consumer settings (offset reset, session timeout) each HTTP member joined with. */
  private final Map<String, ConsumerSettings> memberSettings = new ConcurrentHashMap<>();

  public LogRoutes(StreamLog log) {
    this.log = log;
  }

  /**
   * Joining a group and fetching as its member: read on the group and, since the topics are named
   * in the body or the group's subscription, read on every topic (as Kafka asks read on both).
   */
  private static final Guard GROUP_AND_TOPICS =
      Guard.withQuery(
          Access.READ,
          (p, q) -> List.of(Resource.group(p.get("group")), Resource.all(ResourceType.TOPIC)));

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.post(
            "/v1/topics",
            Guard.admin(p -> Resource.all(ResourceType.TOPIC)),
            p -> body(this::createTopic)),
        Endpoint.get(
            "/v1/topics", Guard.read(p -> Resource.all(ResourceType.TOPIC)), p -> listTopics()),
        Endpoint.get(
            "/v1/topics/{topic}",
            Guard.read(p -> Resource.topic(p.get("topic"))),
            p -> describeTopic(p.get("topic"))),
        Endpoint.patch(
            "/v1/topics/{topic}",
            Guard.admin(p -> Resource.topic(p.get("topic"))),
            p -> body(json -> alterTopic(p.get("topic"), json))),
        Endpoint.delete(
            "/v1/topics/{topic}",
            Guard.admin(p -> Resource.topic(p.get("topic"))),
            p -> deleteTopic(p.get("topic"))),
        Endpoint.post(
            "/v1/topics/{topic}/records",
            Guard.write(p -> Resource.topic(p.get("topic"))),
            p -> body(json -> produce(p.get("topic"), json))),
        Endpoint.get(
            "/v1/topics/{topic}/partitions/{partition:int}/records",
            Guard.read(p -> Resource.topic(p.get("topic"))),
            p -> fetch(p.get("topic"), p.getInt("partition"))),
        Endpoint.post(
            "/v1/producers",
            Guard.write(p -> Resource.all(ResourceType.TOPIC)),
            p -> body(this::initProducer)),
        Endpoint.get(
            "/v1/groups", Guard.read(p -> Resource.all(ResourceType.GROUP)), p -> listGroups()),
        Endpoint.get(
            "/v1/groups/{group}",
            Guard.read(p -> Resource.group(p.get("group"))),
            p -> describeGroup(p.get("group"))),
        Endpoint.post(
            "/v1/groups/{group}/members",
            GROUP_AND_TOPICS,
            p -> body(json -> join(p.get("group"), json))),
        Endpoint.post(
            "/v1/groups/{group}/members/{member}/heartbeat",
            Guard.read(p -> Resource.group(p.get("group"))),
            p -> body(json -> heartbeat(p.get("group"), p.get("member"), json))),
        Endpoint.get(
            "/v1/groups/{group}/members/{member}/records",
            GROUP_AND_TOPICS,
            p -> memberFetch(p.get("group"), p.get("member"))),
        Endpoint.delete(
            "/v1/groups/{group}/members/{member}",
            Guard.read(p -> Resource.group(p.get("group"))),
            p -> leave(p.get("group"), p.get("member"))),
        Endpoint.post(
            "/v1/groups/{group}/offsets",
            Guard.read(p -> Resource.group(p.get("group"))),
            p -> body(json -> commit(p.get("group"), json))));
  }

  // Topics

  private Route listTopics() {
    return onSuccess(log.listTopics(), names -> complete(Json.ok(Map.of("topics", names))));
  }

  private Route describeTopic(String topic) {
    return onSuccess(log.describeTopic(topic), d -> complete(Json.ok(LogJson.topic(d))));
  }

  private Route deleteTopic(String topic) {
    return onSuccess(
        log.deleteTopic(topic), done -> complete(Json.ok(Json.object().put("deleted", topic))));
  }

  private Route createTopic(JsonNode json) {
    String name = Json.text(json, "name");
    long partitions = Json.optionalLong(json, "partitions").orElse(1L);
    if (partitions < 1 || partitions > Integer.MAX_VALUE) {
      throw LogError.INVALID_PARTITIONS.exception(
          "partitions must be at least 1, got " + partitions);
    }
    return onSuccess(
        log.createTopic(name, (int) partitions, LogJson.configs(json)),
        d -> complete(Json.response(StatusCodes.CREATED, LogJson.topic(d))));
  }

  private Route alterTopic(String topic, JsonNode json) {
    Map<String, String> configs = LogJson.configs(json);
    Optional<Long> partitions = Json.optionalLong(json, "partitions");
    CompletionStage<TopicDescription> altered =
        configs.isEmpty() ? log.describeTopic(topic) : log.alterTopicConfigs(topic, configs);
    CompletionStage<TopicDescription> result =
        partitions.isEmpty()
            ? altered
            : altered.thenCompose(
                d -> log.createPartitions(topic, Math.toIntExact(partitions.get())));
    return onSuccess(result, d -> complete(Json.ok(LogJson.topic(d))));
  }

  /**
   * {@code POST /v1/topics/{t}/records}. With {@code producerId}, {@code producerEpoch} and {@code
   * baseSequence} the records are one idempotent batch (Kafka's record batch) to the top-level
   * {@code partition}: a retry with the same sequence is answered with the first offsets and
   * written once. Without them each partition's records are one batch, as before.
   */
  private Route produce(String topic, JsonNode json) {
    String acks = Json.optionalText(json, "acks").orElse("all");
    if (!List.of("0", "1", "all", "-1").contains(acks)) {
      throw Json.invalid("acks", "must be \"0\", \"1\" or \"all\"");
    }
    Optional<Integer> partition = Json.optionalLong(json, "partition").map(LogJson::clamp);
    List<ProducerRecord> records = LogJson.producerRecords(topic, json, partition);
    Optional<LogJson.Sequenced> sequenced = LogJson.sequenced(json, partition, acks);
    CompletionStage<List<RecordMetadata>> sent =
        sequenced.isPresent()
            ? log.send(
                topic,
                partition.get(),
                sequenced.get().producer(),
                sequenced.get().baseSequence(),
                records)
            : log.send(topic, records);
    if (acks.equals("0")) {
      return complete(Json.response(StatusCodes.ACCEPTED, Json.object().putArray("offsets")));
    }
    return onSuccess(sent, results -> complete(Json.ok(LogJson.offsets(results))));
  }

  // Producers

  /**
   * {@code POST /v1/producers}: Kafka's InitProducerId. An empty body gives a new producer id with
   * epoch 0; {@code {"producerId":…,"producerEpoch":…}} gives the same id with the next epoch.
   */
  private Route initProducer(JsonNode json) {
    Optional<Long> id = Json.optionalLong(json, "producerId");
    Optional<Long> epoch = Json.optionalLong(json, "producerEpoch");
    if (id.isPresent() != epoch.isPresent()) {
      throw Json.invalid(
          id.isPresent() ? "producerEpoch" : "producerId",
          "is required with "
              + (id.isPresent() ? "producerId" : "producerEpoch")
              + " (both bump the epoch, neither gives a new producer)");
    }
    ProducerIdAndEpoch current = id.isPresent() ? LogJson.producer(id.get(), epoch.get()) : null;
    return onSuccess(
        log.initProducerId(current),
        p ->
            complete(
                Json.ok(
                    Json.object()
                        .put("producerId", p.producerId())
                        .put("producerEpoch", p.epoch()))));
  }

  private Route fetch(String topic, int partition) {
    return parameterMap(
        params -> {
          long offset = LogJson.longParam(params, "offset", 0);
          ConsumerSettings settings = LogJson.overrides(log.consumerSettings(), params);
          return onSuccess(
              log.fetch(topic, partition, offset, settings),
              result -> {
                ObjectNode body = Json.object();
                ArrayNode records = body.putArray("records");
                result.records().forEach(r -> records.add(LogJson.record(r, false)));
                body.put("highWatermark", result.highWatermark());
                body.put("logStartOffset", result.logStartOffset());
                body.put("nextOffset", result.nextOffset());
                return complete(Json.ok(body));
              });
        });
  }

  // Groups

  // Groups

  private Route listGroups() {
    return onSuccess(log.listGroups(), ids -> complete(Json.ok(Map.of("groups", ids))));
  }

  private Route describeGroup(String group) {
    return onSuccess(log.describeGroup(group), d -> complete(Json.ok(LogJson.group(d))));
  }

  private Route heartbeat(String group, String member, JsonNode json) {
    int generation = Math.toIntExact(Json.optionalLong(json, "generation").orElse(0L));
    return onSuccess(
        log.heartbeat(group, member, generation), a -> complete(Json.ok(LogJson.assignment(a))));
  }

  private Route leave(String group, String member) {
    return onSuccess(
        log.leaveGroup(group, member),
        done -> {
          memberSettings.remove(key(group, member));
          return complete(Json.ok(Json.object().put("left", member)));
        });
  }

  private Route join(String group, JsonNode json) {
    JsonNode topicsNode = json.get("topics");
    if (topicsNode == null || !topicsNode.isArray() || topicsNode.isEmpty()) {
      throw Json.invalid("topics", "must be a non-empty array of topic names");
    }
    List<String> topics = new ArrayList<>();
    topicsNode.forEach(
        t -> {
          if (!t.isTextual()) {
            throw Json.invalid("topics", "must contain only strings");
          }
          topics.add(t.textValue());
        });
    Map<String, String> overrides = new HashMap<>();
    Json.optionalText(json, "assignor")
        .ifPresent(a -> overrides.put("partition.assignment.strategy", a));
    Json.optionalLong(json, "sessionTimeoutMs")
        .ifPresent(t -> overrides.put("session.timeout.ms", Long.toString(t)));
    Json.optionalText(json, "autoOffsetReset")
        .ifPresent(r -> overrides.put("auto.offset.reset", r));
    ConsumerSettings settings = log.consumerSettings().with(overrides);
    return onSuccess(
        log.joinGroup(group, null, topics, settings),
        assignment -> {
          memberSettings.put(key(group, assignment.memberId()), settings);
          return complete(Json.ok(LogJson.assignment(assignment)));
        });
  }

  private Route commit(String group, JsonNode json) {
    String member = Json.optionalText(json, "memberId").orElse(null);
    int generation = Math.toIntExact(Json.optionalLong(json, "generation").orElse(-1L));
    JsonNode array = json.get("offsets");
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw Json.invalid("offsets", "must be a non-empty array of {topic, partition, offset}");
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
    for (JsonNode o : array) {
      long partition =
          Json.optionalLong(o, "partition")
              .orElseThrow(() -> Json.invalid("offsets[].partition", "is required"));
      long offset =
          Json.optionalLong(o, "offset")
              .orElseThrow(() -> Json.invalid("offsets[].offset", "is required"));
      offsets.put(
          new TopicPartition(Json.text(o, "topic"), Math.toIntExact(partition)),
          new OffsetAndMetadata(offset, Json.optionalText(o, "metadata").orElse("")));
    }
    return onSuccess(
        log.commitOffsets(group, member, generation, offsets),
        done -> complete(Json.ok(Json.object().put("committed", offsets.size()))));
  }

  /**
   * Reads for the member from its positions, which the node keeps between calls (the service's
   * {@code pollMember}); the answer carries the generation the client commits with.
   */
  private Route memberFetch(String group, String member) {
    return parameterMap(
        params -> {
          ConsumerSettings settings =
              LogJson.overrides(
                  memberSettings.getOrDefault(key(group, member), log.consumerSettings()), params);
          CompletionStage<ObjectNode> result =
              log.heartbeat(group, member, 0)
                  .thenCompose(
                      assignment ->
                          log.pollMember(group, member, settings, settings.fetchMaxWait())
                              .thenApply(records -> LogJson.fetchBody(assignment, records)));
          return onSuccess(result, body -> complete(Json.ok(body)));
        });
  }

  private static String key(String group, String member) {
    return group + "\u0000" + member;
  }
}
