package dev.cohort.platform;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a JSON value against the subset of JSON Schema the gateway's OpenAPI document uses ({@code
 * $ref} into its components, {@code type}, {@code required}, {@code properties}, {@code items},
 * {@code enum}), and compares the shape of two values: the same JSON types, and every field of the
 * expected object present in the actual one, recursively. Collects every violation with its JSON
 * path, so that one failing example names all that is wrong.
 */
final class SchemaCheck {
  private final JsonNode document;
  private final List<String> violations = new ArrayList<>();

  SchemaCheck(JsonNode document) {
    this.document = document;
  }

  List<String> violations() {
    return violations;
  }

  void validate(String where, JsonNode value, JsonNode schema) {
    if (schema.has("$ref")) {
      validate(where, value, resolve(schema.path("$ref").asText()));
      return;
    }
    String type = schema.path("type").asText("");
    if (!type.isEmpty() && !hasType(value, type)) {
      violations.add(where + ": expected " + type + ", got " + value.getNodeType());
      return;
    }
    if (schema.has("enum") && value.isTextual()) {
      boolean listed = false;
      for (JsonNode allowed : schema.path("enum")) {
        listed |= allowed.asText().equalsIgnoreCase(value.asText());
      }
      if (!listed) {
        violations.add(where + ": '" + value.asText() + "' is not one of " + schema.path("enum"));
      }
    }
    if (value.isObject()) {
      for (JsonNode field : schema.path("required")) {
        if (!value.has(field.asText())) {
          violations.add(where + ": required field '" + field.asText() + "' is missing");
        }
      }
      schema
          .path("properties")
          .properties()
          .forEach(
              p -> {
                if (value.has(p.getKey()) && !value.get(p.getKey()).isNull()) {
                  validate(where + "." + p.getKey(), value.get(p.getKey()), p.getValue());
                }
              });
    }
    if (value.isArray() && schema.has("items")) {
      for (int i = 0; i < value.size(); i++) {
        validate(where + "[" + i + "]", value.get(i), schema.path("items"));
      }
    }
  }

  /** The actual value has the expected value's shape: types, and the expected fields. */
  void sameShape(String where, JsonNode expected, JsonNode actual) {
    if (expected.isNull() || actual.isNull()) {
      return;
    }
    if (expected.isNumber() && actual.isNumber()) {
      return;
    }
    if (expected.getNodeType() != actual.getNodeType()) {
      violations.add(
          where + ": shown as " + expected.getNodeType() + ", answered " + actual.getNodeType());
      return;
    }
    if (expected.isObject()) {
      expected
          .properties()
          .forEach(
              e -> {
                if (!actual.has(e.getKey())) {
                  violations.add(
                      where + ": the example shows '" + e.getKey() + "', the answer lacks it");
                } else {
                  sameShape(where + "." + e.getKey(), e.getValue(), actual.get(e.getKey()));
                }
              });
    }
    if (expected.isArray() && !expected.isEmpty() && !actual.isEmpty()) {
      sameShape(where + "[0]", expected.get(0), actual.get(0));
    }
  }

  JsonNode resolve(String ref) {
    if (!ref.startsWith("#/")) {
      throw new IllegalArgumentException("only local references are used: " + ref);
    }
    JsonNode node = document.at(ref.substring(1));
    if (node.isMissingNode()) {
      throw new AssertionError("dangling reference " + ref);
    }
    return node;
  }

  private static boolean hasType(JsonNode value, String type) {
    return switch (type) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      default -> throw new IllegalArgumentException("unknown schema type " + type);
    };
  }
}
