package dev.cohort.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.internal.JsonValues;
import java.util.Iterator;

/**
 * The body of {@code POST /v1/sagas/{definition}/instances}: {@code {"id"?: "...", "input"?:
 * {...}}}, for {@link Sagas#startJson(String, String, String)}.
 *
 * @param id the instance id, or null for a random one
 * @param input the input as JSON object text ({@code {}} when absent)
 */
public record StartRequest(String id, String input) {

  /**
   * Reads a start request; throws {@link SagaException} {@code invalid_input} naming the problem.
   */
  public static StartRequest fromJson(String body) {
    if (body == null || body.isBlank()) {
      return new StartRequest(null, "{}");
    }
    ObjectNode root = JsonValues.objectTree(body, SagaError.INVALID_INPUT, "start request");
    Iterator<String> fields = root.fieldNames();
    while (fields.hasNext()) {
      String field = fields.next();
      if (!field.equals("id") && !field.equals("input")) {
        throw SagaError.INVALID_INPUT.exception(
            "start request: unknown field '" + field + "' (allowed: id, input)");
      }
    }
    JsonNode id = root.get("id");
    if (id != null && !id.isNull() && !id.isTextual()) {
      throw SagaError.INVALID_INPUT.exception("start request: id must be a string");
    }
    JsonNode input = root.get("input");
    if (input != null && !input.isNull() && !input.isObject()) {
      throw SagaError.INVALID_INPUT.exception("start request: input must be a JSON object");
    }
    return new StartRequest(
        id == null || id.isNull() ? null : id.asText(),
        input == null || input.isNull() ? "{}" : input.toString());
  }
}
