package dev.cohort.saga.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON helpers: the saga context, inputs and outputs travel and persist as JSON object text (the
 * wire format stores no tree types), and are parsed here when a step needs them. Thread-safe.
 */
public final class JsonValues {
  public static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  private JsonValues() {}

  /** JSON object text as maps, lists and scalars; empty text is an empty map. */
  public static Map<String, Object> parseObject(String json) {
    if (json == null || json.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return MAPPER.readValue(json, MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
    }
  }

  /** JSON text as a tree; throws {@link SagaException} {@code code} when malformed. */
  public static JsonNode tree(String json, SagaError code, String what) {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw code.exception(what + " is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw code.exception(what + " is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** JSON object text as an object tree; throws {@link SagaException} {@code code} otherwise. */
  public static ObjectNode objectTree(String json, SagaError code, String what) {
    JsonNode node = tree(json, code, what);
    if (!(node instanceof ObjectNode object)) {
      throw code.exception(what + " must be a JSON object, not " + node.getNodeType());
    }
    return object;
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
