package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.LogException;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The stream log over HTTP: topics ({@code /v1/topics}), producing and fetching records,
 * idempotent producer ids ({@code /v1/producers}), and consumer groups ({@code /v1/groups}). Keys, values and headers travel as text when they are
 * valid UTF-8 and as base64 ({@code keyBase64}, {@code valueBase64}, {@code headersBase64})
 * otherwise; a null value is a tombstone.
 *
 * <p>Group members that consume over HTTP have their fetch positions kept by the node that serves
 * them, as a Kafka client keeps its positions: a position starts at the group's committed offset
 * (or by {@code auto.offset.reset}) and advances with each fetch; only commits are durable.
 */
public final class LogRoutes extends JsonRoutes {
  private final StreamLog log;
  /** The consumer settings (offset reset, session timeout) each HTTP member joined with. */
  private final Map<String, ConsumerSettings> memberSettings = new ConcurrentHashMap<>();

  public LogRoutes(StreamLog log) {
    this.log = log;
  }

  public Route route() {
    return pathPrefix(
        "v1",
        () ->
            concat(
                pathPrefix("topics", this::topics),
                pathPrefix("producers", this::producers),
                pathPrefix("groups", this::groups)));
  }

  // Topics

  private Route topics() {
    return concat(
        pathEndOrSingleSlash(
            () ->
                HttpApi.named(
                    "/v1/topics",
                    () ->
                        concat(
                            post(() -> body(this::createTopic)),
                            get(
                                () ->
                                    onSuccess(
                                        log.listTopics(),
                                        names -> complete(Json.ok(Map.of("topics", names)))))))),
        path(
            PathMatchers.segment(),
            topic ->
                HttpApi.named(
                    "/v1/topics/{topic}",
                    () ->
                        concat(
                            get(() -> onSuccess(log.describeTopic(topic), d -> complete(Json.ok(topic(d))))),
                            patch(() -> body(json -> alterTopic(topic, json))),
                            delete(
                                () ->
                                    onSuccess(
                                        log.deleteTopic(topic),
                                        done -> complete(Json.ok(Json.object().put("deleted", topic)))))))),
        path(
            PathMatchers.segment().slash("records"),
            topic ->
                HttpApi.named(
                    "/v1/topics/{topic}/records", () -> post(() -> body(json -> produce(topic, json))))),
        path(
            PathMatchers.segment().slash("partitions").slash(PathMatchers.integerSegment()).slash("records"),
            (topic, partition) ->
                HttpApi.named(
                    "/v1/topics/{topic}/partitions/{partition}/records",
                    () -> get(() -> fetch(topic, partition)))));
  }

  private Route createTopic(JsonNode json) {
    String name = Json.text(json, "name");
    long partitions = Json.optionalLong(json, "partitions").orElse(1L);
    if (partitions < 1 || partitions > Integer.MAX_VALUE) {
      throw new LogException(
          ErrorKind.INVALID, "invalid_partitions", "partitions must be at least 1, got " + partitions);
    }
    return onSuccess(
        log.createTopic(name, (int) partitions, configs(json)),
        d -> complete(Json.response(StatusCodes.CREATED, topic(d))));
  }

  private Route alterTopic(String topic, JsonNode json) {
    Map<String, String> configs = configs(json);
    Optional<Long> partitions = Json.optionalLong(json, "partitions");
    CompletionStage<TopicDescription> altered =
        configs.isEmpty() ? log.describeTopic(topic) : log.alterTopicConfigs(topic, configs);
    CompletionStage<TopicDescription> result =
        partitions.isEmpty()
            ? altered
            : altered.thenCompose(d -> log.createPartitions(topic, Math.toIntExact(partitions.get())));
    return onSuccess(result, d -> complete(Json.ok(topic(d))));
  }

  private static Map<String, String> configs(JsonNode json) {
    JsonNode node = json.get("configs");
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw Json.invalid("configs", "must be an object of Kafka topic configs");
    }
    Map<String, String> configs = new LinkedHashMap<>();
    node.fields()
        .forEachRemaining(
            e -> {
              if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw Json.invalid("configs." + e.getKey(), "must be a string or a number");
              }
              configs.put(e.getKey(), e.getValue().asText());
            });
    return configs;
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
    JsonNode array = json.get("records");
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw Json.invalid("records", "must be a non-empty array");
    }
    Optional<Integer> partition = Json.optionalLong(json, "partition").map(LogRoutes::clamp);
    List<ProducerRecord> records = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String where = "records[" + i + "]";
      ProducerRecord record = producerRecord(topic, where, array.get(i));
      if (partition.isPresent()) {
        if (record.partition() != null && !record.partition().equals(partition.get())) {
          throw Json.invalid(
              where + ".partition",
              "must be absent or equal to the request's partition " + partition.get());
        }
        record = record.withPartition(partition.get());
      }
      records.add(record);
    }
    Optional<Sequenced> sequenced = sequenced(json, partition, acks);
    CompletionStage<List<RecordMetadata>> sent =
        sequenced.isPresent()
            ? log.send(
                topic, partition.get(), sequenced.get().producer(), sequenced.get().baseSequence(),
                records)
            : log.send(topic, records);
    if (acks.equals("0")) {
      return complete(Json.response(StatusCodes.ACCEPTED, Json.object().putArray("offsets")));
    }
    return onSuccess(
        sent,
        results -> {
          ObjectNode body = Json.object();
          ArrayNode offsets = body.putArray("offsets");
          for (RecordMetadata r : results) {
            offsets.addObject().put("partition", r.partition()).put("offset", r.offset()).put("timestamp", r.timestamp());
          }
          return complete(Json.ok(body));
        });
  }

  /** The idempotent producer fields of a produce request. */
  private record Sequenced(ProducerIdAndEpoch producer, int baseSequence) {}

  /**
   * The request's {@code producerId}, {@code producerEpoch} and {@code baseSequence}: all three or
   * none; with them {@code partition} is required (sequences count per partition) and {@code
   * acks} must not be "0" (as Kafka requires acks=all for idempotence: a retry must learn the
   * first attempt's offsets).
   */
  private static Optional<Sequenced> sequenced(JsonNode json, Optional<Integer> partition, String acks) {
    Optional<Long> id = Json.optionalLong(json, "producerId");
    Optional<Long> epoch = Json.optionalLong(json, "producerEpoch");
    Optional<Long> sequence = Json.optionalLong(json, "baseSequence");
    if (id.isEmpty() && epoch.isEmpty() && sequence.isEmpty()) {
      return Optional.empty();
    }
    for (Map.Entry<String, Optional<Long>> field :
        List.of(Map.entry("producerId", id), Map.entry("producerEpoch", epoch), Map.entry("baseSequence", sequence))) {
      if (field.getValue().isEmpty()) {
        throw Json.invalid(
            field.getKey(), "is required with producerId, producerEpoch and baseSequence (give all three or none)");
      }
    }
    if (partition.isEmpty()) {
      throw Json.invalid("partition", "is required with baseSequence: an idempotent batch goes to one partition");
    }
    if (acks.equals("0")) {
      throw Json.invalid("acks", "must be \"all\" or \"1\" for an idempotent batch");
    }
    return Optional.of(
        new Sequenced(
            producer(id.get(), epoch.get()),
            Math.toIntExact(nonNegativeInt("baseSequence", sequence.get()))));
  }

  private static ProducerIdAndEpoch producer(long id, long epoch) {
    if (id < 0) {
      throw Json.invalid("producerId", "must be at least 0, got " + id);
    }
    return new ProducerIdAndEpoch(id, Math.toIntExact(nonNegativeInt("producerEpoch", epoch)));
  }

  private static long nonNegativeInt(String field, long value) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw Json.invalid(field, "must be 0 to " + Integer.MAX_VALUE + ", got " + value);
    }
    return value;
  }

  private static int clamp(long partition) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, partition));
  }

  // Producers

  /**
   * {@code POST /v1/producers}: Kafka's InitProducerId. An empty body gives a new producer id with
   * epoch 0; {@code {"producerId":…,"producerEpoch":…}} gives the same id with the next epoch.
   */
  private Route producers() {
    return pathEndOrSingleSlash(
        () -> HttpApi.named("/v1/producers", () -> post(() -> body(this::initProducer))));
  }

  private Route initProducer(JsonNode json) {
    Optional<Long> id = Json.optionalLong(json, "producerId");
    Optional<Long> epoch = Json.optionalLong(json, "producerEpoch");
    if (id.isPresent() != epoch.isPresent()) {
      throw Json.invalid(
          id.isPresent() ? "producerEpoch" : "producerId",
          "is required with " + (id.isPresent() ? "producerId" : "producerEpoch")
              + " (both bump the epoch, neither gives a new producer)");
    }
    ProducerIdAndEpoch current = id.isPresent() ? producer(id.get(), epoch.get()) : null;
    return onSuccess(
        log.initProducerId(current),
        p ->
            complete(
                Json.ok(
                    Json.object().put("producerId", p.producerId()).put("producerEpoch", p.epoch()))));
  }

  private static ProducerRecord producerRecord(String topic, String where, JsonNode json) {
    if (!json.isObject()) {
      throw Json.invalid(where, "must be an object");
    }
    byte[] key = bytes(json, where, "key", "keyBase64");
    byte[] value = bytes(json, where, "value", "valueBase64");
    Integer partition = Json.optionalLong(json, "partition").map(LogRoutes::clamp).orElse(null);
    Long timestamp = Json.optionalLong(json, "timestamp").orElse(null);
    Map<String, byte[]> headers = new HashMap<>();
    JsonNode headerNode = json.get("headers");
    if (headerNode != null && !headerNode.isNull()) {
      if (!headerNode.isObject()) {
        throw Json.invalid(where + ".headers", "must be an object of name to text");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = headerNode.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> header = it.next();
        if (!header.getValue().isTextual()) {
          throw Json.invalid(where + ".headers." + header.getKey(), "must be a string");
        }
        headers.put(header.getKey(), header.getValue().textValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    return new ProducerRecord(topic, partition, key, value, headers, timestamp);
  }

  /** Text or base64 bytes; both absent (or null) is a null key or value. */
  private static byte[] bytes(JsonNode json, String where, String textField, String base64Field) {
    Optional<String> text = Json.optionalText(json, textField);
    Optional<String> base64 = Json.optionalText(json, base64Field);
    if (text.isPresent() && base64.isPresent()) {
      throw Json.invalid(where + "." + textField, "give at most one of '" + textField + "' and '" + base64Field + "'");
    }
    if (text.isPresent()) {
      return text.get().getBytes(StandardCharsets.UTF_8);
    }
    return base64.map(b -> PathKeys.fromBase64(where + "." + base64Field, b)).orElse(null);
  }

  private Route fetch(String topic, int partition) {
    return parameterMap(
        params -> {
          long offset = longParam(params, "offset", 0);
          ConsumerSettings settings = overrides(log.consumerSettings(), params);
          return onSuccess(
              log.fetch(topic, partition, offset, settings),
              result -> {
                ObjectNode body = Json.object();
                ArrayNode records = body.putArray("records");
                result.records().forEach(r -> records.add(record(r, false)));
                body.put("highWatermark", result.highWatermark());
                body.put("logStartOffset", result.logStartOffset());
                body.put("nextOffset", result.nextOffset());
                return complete(Json.ok(body));
              });
        });
  }

  private static ConsumerSettings overrides(ConsumerSettings base, Map<String, String> params) {
    Map<String, String> overrides = new HashMap<>();
    if (params.containsKey("maxRecords")) {
      overrides.put("max.poll.records", Long.toString(longParam(params, "maxRecords", 0)));
    }
    if (params.containsKey("maxWaitMs")) {
      overrides.put("fetch.max.wait.ms", Long.toString(longParam(params, "maxWaitMs", 0)));
    }
    if (params.containsKey("maxBytes")) {
      overrides.put("fetch.max.bytes", Long.toString(longParam(params, "maxBytes", 0)));
    }
    return overrides.isEmpty() ? base : base.with(overrides);
  }

  private static long longParam(Map<String, String> params, String name, long defaultValue) {
    String value = params.get(name);
    if (value == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new LogException(
          ErrorKind.INVALID, "invalid_request", "query parameter '" + name + "' must be an integer");
    }
  }

  // Groups

  private Route groups() {
    return concat(
        pathEndOrSingleSlash(
            () ->
                HttpApi.named(
                    "/v1/groups",
                    () -> get(() -> onSuccess(log.listGroups(), ids -> complete(Json.ok(Map.of("groups", ids))))))),
        path(
            PathMatchers.segment(),
            group ->
                HttpApi.named(
                    "/v1/groups/{group}",
                    () -> get(() -> onSuccess(log.describeGroup(group), d -> complete(Json.ok(group(d))))))),
        path(
            PathMatchers.segment().slash("members"),
            group ->
                HttpApi.named("/v1/groups/{group}/members", () -> post(() -> body(json -> join(group, json))))),
        path(
            PathMatchers.segment().slash("members").slash(PathMatchers.segment()).slash("heartbeat"),
            (group, member) ->
                HttpApi.named(
                    "/v1/groups/{group}/members/{member}/heartbeat",
                    () ->
                        post(
                            () ->
                                body(
                                    json ->
                                        onSuccess(
                                            log.heartbeat(
                                                group,
                                                member,
                                                Math.toIntExact(Json.optionalLong(json, "generation").orElse(0L))),
                                            a -> complete(Json.ok(assignment(a)))))))),
        path(
            PathMatchers.segment().slash("members").slash(PathMatchers.segment()).slash("records"),
            (group, member) ->
                HttpApi.named(
                    "/v1/groups/{group}/members/{member}/records", () -> get(() -> memberFetch(group, member)))),
        path(
            PathMatchers.segment().slash("members").slash(PathMatchers.segment()),
            (group, member) ->
                HttpApi.named(
                    "/v1/groups/{group}/members/{member}",
                    () ->
                        delete(
                            () ->
                                onSuccess(
                                    log.leaveGroup(group, member),
                                    done -> {
                                      memberSettings.remove(key(group, member));
                                      return complete(Json.ok(Json.object().put("left", member)));
                                    })))),
        path(
            PathMatchers.segment().slash("offsets"),
            group ->
                HttpApi.named("/v1/groups/{group}/offsets", () -> post(() -> body(json -> commit(group, json))))));
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
    Json.optionalText(json, "assignor").ifPresent(a -> overrides.put("partition.assignment.strategy", a));
    Json.optionalLong(json, "sessionTimeoutMs").ifPresent(t -> overrides.put("session.timeout.ms", Long.toString(t)));
    Json.optionalText(json, "autoOffsetReset").ifPresent(r -> overrides.put("auto.offset.reset", r));
    ConsumerSettings settings = log.consumerSettings().with(overrides);
    return onSuccess(
        log.joinGroup(group, null, topics, settings),
        assignment -> {
          memberSettings.put(key(group, assignment.memberId()), settings);
          return complete(Json.ok(assignment(assignment)));
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
      long partition = Json.optionalLong(o, "partition").orElseThrow(() -> Json.invalid("offsets[].partition", "is required"));
      long offset = Json.optionalLong(o, "offset").orElseThrow(() -> Json.invalid("offsets[].offset", "is required"));
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
              overrides(memberSettings.getOrDefault(key(group, member), log.consumerSettings()), params);
          CompletionStage<ObjectNode> result =
              log.heartbeat(group, member, 0)
                  .thenCompose(
                      assignment ->
                          log.pollMember(group, member, settings, settings.fetchMaxWait())
                              .thenApply(records -> fetchBody(assignment, records)));
          return onSuccess(result, body -> complete(Json.ok(body)));
        });
  }

  private static String key(String group, String member) {
    return group + "\u0000" + member;
  }

  // JSON


  private static ObjectNode fetchBody(GroupAssignment assignment, List<ConsumerRecord> records) {
    ObjectNode body = Json.object();
    body.put("generation", assignment.generation());
    ArrayNode array = body.putArray("records");
    records.forEach(r -> array.add(record(r, true)));
    return body;
  }

  private static ObjectNode record(ConsumerRecord r, boolean withTopic) {
    ObjectNode node = Json.object();
    if (withTopic) {
      node.put("topic", r.topic()).put("partition", r.partition());
    }
    node.put("offset", r.offset());
    putBytes(node, "key", "keyBase64", r.key());
    if (r.value() == null) {
      node.putNull("value");
    } else {
      putBytes(node, "value", "valueBase64", r.value());
    }
    ObjectNode headers = node.putObject("headers");
    ObjectNode binaryHeaders = null;
    for (Map.Entry<String, byte[]> h : r.headers().entrySet()) {
      Optional<String> text = PathKeys.utf8(h.getValue());
      if (text.isPresent()) {
        headers.put(h.getKey(), text.get());
      } else {
        if (binaryHeaders == null) {
          binaryHeaders = node.putObject("headersBase64");
        }
        binaryHeaders.put(h.getKey(), PathKeys.base64(h.getValue()));
      }
    }
    return node.put("timestamp", r.timestamp());
  }

  private static void putBytes(ObjectNode node, String textField, String base64Field, byte[] bytes) {
    if (bytes == null) {
      return;
    }
    Optional<String> text = PathKeys.utf8(bytes);
    if (text.isPresent()) {
      node.put(textField, text.get());
    } else {
      node.put(base64Field, PathKeys.base64(bytes));
    }
  }

  private static ObjectNode topic(TopicDescription d) {
    ObjectNode node = Json.object().put("name", d.name()).put("topicId", d.topicId());
    ObjectNode configs = node.putObject("configs");
    d.config().toMap().forEach(configs::put);
    ArrayNode partitions = node.putArray("partitions");
    for (TopicDescription.PartitionDescription p : d.partitions()) {
      partitions
          .addObject()
          .put("partition", p.partition())
          .put("logStartOffset", p.logStartOffset())
          .put("logEndOffset", p.logEndOffset())
          .put("sizeBytes", p.sizeBytes())
          .put("node", p.node());
    }
    return node;
  }

  private static ObjectNode assignment(GroupAssignment a) {
    ObjectNode node =
        Json.object()
            .put("groupId", a.groupId())
            .put("memberId", a.memberId())
            .put("generation", a.generation())
            .put("rebalancing", a.rebalancing());
    ArrayNode assignment = node.putArray("assignment");
    a.assignment().forEach(tp -> assignment.addObject().put("topic", tp.topic()).put("partition", tp.partition()));
    return node;
  }

  private static ObjectNode group(GroupDescription d) {
    ObjectNode node =
        Json.object()
            .put("groupId", d.groupId())
            .put("state", d.state())
            .put("generation", d.generation())
            .put("assignor", d.assignor());
    ArrayNode members = node.putArray("members");
    for (GroupDescription.Member m : d.members()) {
      ObjectNode member = members.addObject().put("memberId", m.memberId()).put("clientId", m.clientId());
      ArrayNode topics = member.putArray("topics");
      m.topics().forEach(topics::add);
      ArrayNode assignment = member.putArray("assignment");
      m.assignment().forEach(tp -> assignment.addObject().put("topic", tp.topic()).put("partition", tp.partition()));
    }
    ArrayNode offsets = node.putArray("offsets");
    for (GroupDescription.PartitionOffset o : d.offsets()) {
      offsets
          .addObject()
          .put("topic", o.topicPartition().topic())
          .put("partition", o.topicPartition().partition())
          .put("committedOffset", o.committedOffset())
          .put("metadata", o.metadata())
          .put("logEndOffset", o.logEndOffset())
          .put("lag", o.lag());
    }
    return node;
  }
}
