package dev.cohort.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.saga.internal.JsonValues;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a projection builds: a read model in the CP keyspace {@code keyspace} from every record of
 * {@code topic}. The view key of a record is its key ({@code keyFrom = "key"}) or the text of a
 * top-level field of its JSON value ({@code "field:user_id"}); the view value is the latest record
 * value ({@link Mode#LATEST}), the number of records ({@link Mode#COUNT}) or the sum of the JSON
 * numeric field {@code field} ({@link Mode#SUM}) per view key.
 *
 * <p>JSON shape ({@link #fromJson}, {@link #toJson}): {@code {"source":{"topic":"orders"},
 * "sink":{"keyspace":"orders-view"},"mode":"sum","field":"amount","keyFrom":"field:user_id"}}.
 */
public record ProjectionDefinition(
    String name, String topic, String keyspace, Mode mode, String field, String keyFrom)
    implements CohortSerializable {

  /** How records fold into a view value. Written by ordinal: add only at the end. */
  public enum Mode implements CohortSerializable {
    LATEST,
    COUNT,
    SUM
  }

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern KEYSPACE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern FIELD = Pattern.compile("[^\\s]{1,256}");
  private static final Set<String> FIELDS = Set.of("source", "sink", "mode", "field", "keyFrom");

  /** The field {@code keyFrom} names ({@code "field:x"} → {@code x}), or null for the key. */
  public String keyField() {
    return keyFrom.startsWith("field:") ? keyFrom.substring("field:".length()) : null;
  }

  /** Throws {@code invalid_projection} naming the first problem. */
  public void validate() {
    require(
        name != null && NAME.matcher(name).matches(),
        "projection name must match [A-Za-z0-9_.-]{1,64}, not '" + name + "'");
    require(
        topic != null
            && TOPIC.matcher(topic).matches()
            && !topic.equals(".")
            && !topic.equals(".."),
        "source.topic '" + topic + "' is not a valid topic name");
    if (keyspace == null || !KEYSPACE.matcher(keyspace).matches()) {
      throw SagaError.INVALID_KEYSPACE_NAME.exception(
          "sink.keyspace '" + keyspace + "' must match [a-z0-9][a-z0-9._-]{0,63}");
    }
    require(mode != null, "mode must be one of latest, count, sum");
    if (mode == Mode.SUM) {
      require(
          field != null && FIELD.matcher(field).matches(),
          "mode sum needs \"field\": the JSON numeric field of the record value to add up");
    } else {
      require(field == null, "\"field\" is only for mode sum");
    }
    require(
        keyFrom != null
            && (keyFrom.equals("key")
                || (keyFrom.startsWith("field:")
                    && FIELD.matcher(keyFrom.substring("field:".length())).matches())),
        "keyFrom must be \"key\" or \"field:<name>\", not '" + keyFrom + "'");
  }

  /**
   * Parses the JSON shape; {@code keyFrom} defaults to {@code "key"}. Unknown fields are errors.
   * Throws {@code invalid_projection} (or {@code invalid_keyspace_name}) naming the problem.
   */
  public static ProjectionDefinition fromJson(String name, String json) {
    JsonNode root = JsonValues.objectTree(json, SagaError.INVALID_PROJECTION, "projection");
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      require(FIELDS.contains(f), "unknown field \"" + f + "\"; expected " + FIELDS);
    }
    ProjectionDefinition d =
        new ProjectionDefinition(
            name,
            text(root.path("source"), "topic", "source"),
            text(root.path("sink"), "keyspace", "sink"),
            mode(root.get("mode")),
            optionalText(root, "field"),
            root.has("keyFrom") ? optionalText(root, "keyFrom") : "key");
    d.validate();
    return d;
  }

  private static String text(JsonNode parent, String field, String object) {
    require(parent.isObject(), "\"" + object + "\" must be an object with \"" + field + "\"");
    for (Iterator<String> it = parent.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      require(f.equals(field), "unknown field \"" + object + "." + f + "\"");
    }
    JsonNode value = parent.get(field);
    require(
        value != null && value.isTextual(), "\"" + object + "." + field + "\" must be a string");
    return value.asText();
  }

  private static String optionalText(JsonNode root, String field) {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    require(value.isTextual(), "\"" + field + "\" must be a string");
    return value.asText();
  }

  private static Mode mode(JsonNode node) {
    require(node != null && node.isTextual(), "\"mode\" must be one of latest, count, sum");
    try {
      return Mode.valueOf(node.asText().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw SagaError.INVALID_PROJECTION.exception(
          "unknown mode '" + node.asText() + "'; expected latest, count or sum");
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw SagaError.INVALID_PROJECTION.exception(message);
    }
  }

  /** The JSON shape with {@code name}. */
  public ObjectNode toJsonTree() {
    ObjectNode root = JsonValues.MAPPER.createObjectNode();
    root.put("name", name);
    root.putObject("source").put("topic", topic);
    root.putObject("sink").put("keyspace", keyspace);
    root.put("mode", mode.name().toLowerCase(Locale.ROOT));
    if (field != null) {
      root.put("field", field);
    }
    root.put("keyFrom", keyFrom);
    return root;
  }

  public String toJson() {
    return toJsonTree().toString();
  }
}
