package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.LogError;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicDescription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stream log's JSON: request bodies and query parameters in (each failure names the field),
 * records, topics and groups out. Keys, values and headers travel as text when they are valid UTF-8
 * and as base64 ({@code keyBase64}, {@code valueBase64}, {@code headersBase64}) otherwise; a null
 * value is a tombstone.
 */
final class LogJson {
  private LogJson() {}

  static Map<String, String> configs(JsonNode json) {
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

  /** The idempotent producer fields of a produce request. */
  record Sequenced(ProducerIdAndEpoch producer, int baseSequence) {}

  /**
   * The request's {@code producerId}, {@code producerEpoch} and {@code baseSequence}: all three or
   * none; with them {@code partition} is required (sequences count per partition) and {@code acks}
   * must not be "0" (as Kafka requires acks=all for idempotence: a retry must learn the first
   * attempt's offsets).
   */
  static Optional<Sequenced> sequenced(JsonNode json, Optional<Integer> partition, String acks) {
    Optional<Long> id = Json.optionalLong(json, "producerId");
    Optional<Long> epoch = Json.optionalLong(json, "producerEpoch");
    Optional<Long> sequence = Json.optionalLong(json, "baseSequence");
    if (id.isEmpty() && epoch.isEmpty() && sequence.isEmpty()) {
      return Optional.empty();
    }
    for (Map.Entry<String, Optional<Long>> field :
        List.of(
            Map.entry("producerId", id),
            Map.entry("producerEpoch", epoch),
            Map.entry("baseSequence", sequence))) {
      if (field.getValue().isEmpty()) {
        throw Json.invalid(
            field.getKey(),
            "is required with producerId, producerEpoch and baseSequence (give all three or none)");
      }
    }
    if (partition.isEmpty()) {
      throw Json.invalid(
          "partition", "is required with baseSequence: an idempotent batch goes to one partition");
    }
    if (acks.equals("0")) {
      throw Json.invalid("acks", "must be \"all\" or \"1\" for an idempotent batch");
    }
    return Optional.of(
        new Sequenced(
            producer(id.get(), epoch.get()),
            Math.toIntExact(nonNegativeInt("baseSequence", sequence.get()))));
  }

  static ProducerIdAndEpoch producer(long id, long epoch) {
    if (id < 0) {
      throw Json.invalid("producerId", "must be at least 0, got " + id);
    }
    return new ProducerIdAndEpoch(id, Math.toIntExact(nonNegativeInt("producerEpoch", epoch)));
  }

  static long nonNegativeInt(String field, long value) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw Json.invalid(field, "must be 0 to " + Integer.MAX_VALUE + ", got " + value);
    }
    return value;
  }

  static int clamp(long partition) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, partition));
  }

  /**
   * The {@code records} array of a produce request; with a request-level {@code partition} every
   * record goes there, and a record naming another partition is refused.
   */
  static List<ProducerRecord> producerRecords(
      String topic, JsonNode json, Optional<Integer> partition) {
    JsonNode array = json.get("records");
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw Json.invalid("records", "must be a non-empty array");
    }
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
    return records;
  }

  static ObjectNode offsets(List<RecordMetadata> results) {
    ObjectNode body = Json.object();
    ArrayNode offsets = body.putArray("offsets");
    for (RecordMetadata r : results) {
      offsets
          .addObject()
          .put("partition", r.partition())
          .put("offset", r.offset())
          .put("timestamp", r.timestamp());
    }
    return body;
  }

  private static ProducerRecord producerRecord(String topic, String where, JsonNode json) {
    if (!json.isObject()) {
      throw Json.invalid(where, "must be an object");
    }
    byte[] key = bytes(json, where, "key", "keyBase64");
    byte[] value = bytes(json, where, "value", "valueBase64");
    Integer partition = Json.optionalLong(json, "partition").map(LogJson::clamp).orElse(null);
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
        headers.put(
            header.getKey(), header.getValue().textValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    return new ProducerRecord(topic, partition, key, value, headers, timestamp);
  }

  /** Text or base64 bytes; both absent (or null) is a null key or value. */
  static byte[] bytes(JsonNode json, String where, String textField, String base64Field) {
    Optional<String> text = Json.optionalText(json, textField);
    Optional<String> base64 = Json.optionalText(json, base64Field);
    if (text.isPresent() && base64.isPresent()) {
      throw Json.invalid(
          where + "." + textField,
          "give at most one of '" + textField + "' and '" + base64Field + "'");
    }
    if (text.isPresent()) {
      return text.get().getBytes(StandardCharsets.UTF_8);
    }
    return base64.map(b -> PathKeys.fromBase64(where + "." + base64Field, b)).orElse(null);
  }

  static ConsumerSettings overrides(ConsumerSettings base, Map<String, String> params) {
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

  static long longParam(Map<String, String> params, String name, long defaultValue) {
    String value = params.get(name);
    if (value == null) {
      return defaultValue;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw LogError.INVALID_REQUEST.exception("query parameter '" + name + "' must be an integer");
    }
  }

  static ObjectNode fetchBody(GroupAssignment assignment, List<ConsumerRecord> records) {
    ObjectNode body = Json.object();
    body.put("generation", assignment.generation());
    ArrayNode array = body.putArray("records");
    records.forEach(r -> array.add(record(r, true)));
    return body;
  }

  static ObjectNode record(ConsumerRecord r, boolean withTopic) {
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

  static void putBytes(ObjectNode node, String textField, String base64Field, byte[] bytes) {
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

  static ObjectNode topic(TopicDescription d) {
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

  static ObjectNode assignment(GroupAssignment a) {
    ObjectNode node =
        Json.object()
            .put("groupId", a.groupId())
            .put("memberId", a.memberId())
            .put("generation", a.generation())
            .put("rebalancing", a.rebalancing());
    ArrayNode assignment = node.putArray("assignment");
    a.assignment()
        .forEach(
            tp -> assignment.addObject().put("topic", tp.topic()).put("partition", tp.partition()));
    return node;
  }

  static ObjectNode group(GroupDescription d) {
    ObjectNode node =
        Json.object()
            .put("groupId", d.groupId())
            .put("state", d.state())
            .put("generation", d.generation())
            .put("assignor", d.assignor());
    ArrayNode members = node.putArray("members");
    for (GroupDescription.Member m : d.members()) {
      ObjectNode member =
          members.addObject().put("memberId", m.memberId()).put("clientId", m.clientId());
      ArrayNode topics = member.putArray("topics");
      m.topics().forEach(topics::add);
      ArrayNode assignment = member.putArray("assignment");
      m.assignment()
          .forEach(
              tp ->
                  assignment.addObject().put("topic", tp.topic()).put("partition", tp.partition()));
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
