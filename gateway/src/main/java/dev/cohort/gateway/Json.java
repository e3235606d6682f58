package dev.cohort.gateway;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorCode;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * JSON in and out of the gateway. Request bodies are parsed into trees and read field by field, so
 * that every bad field gets an error naming it and the rule it breaks (400 {@code invalid_field});
 * responses are written from trees or records. Thread-safe.
 */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** A response with {@code body} as JSON. */
  public static HttpResponse response(StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(
              HttpEntities.create(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response body is not serializable to JSON", e);
    }
  }

  public static HttpResponse ok(Object body) {
    return response(StatusCodes.OK, body);
  }

  /** The one error shape for a declared code, with its kind's status. */
  public static HttpResponse error(ErrorCode code, String message) {
    return error(code.kind().httpStatus(), code.code(), message);
  }

  /** The one error shape: {@code {"error":{"code":…,"message":…}}}. */
  public static HttpResponse error(int status, String code, String message) {
    ObjectNode body = object();
    ObjectNode error = body.putObject("error");
    error.put("code", code);
    error.put("message", message);
    return response(StatusCodes.get(status), body);
  }

  /**
   * Parses a request body that must be a JSON object; an empty body is an empty object.
   *
   * @throws CohortException 400 {@code malformed_json} naming where parsing failed
   */
  public static ObjectNode parseObject(String body) {
    if (body.isBlank()) {
      return object();
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new CohortException(
          GatewayError.MALFORMED_JSON,
          "request body is not valid JSON: " + e.getOriginalMessage() + where(e.getLocation()));
    }
    if (!(node instanceof ObjectNode object)) {
      throw invalid("", "the request body must be a JSON object");
    }
    return object;
  }

  /**
   * Where parsing stopped, when the parser knows: a limit such as the nesting depth is reported
   * without a location.
   */
  private static String where(JsonLocation location) {
    return location == null
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  /** A required string field. */
  public static String text(JsonNode body, String field) {
    return optionalText(body, field)
        .orElseThrow(() -> invalid(field, "is required and must be a string"));
  }

  public static Optional<String> optionalText(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isTextual()) {
      throw invalid(field, "must be a string, got " + node.getNodeType().name().toLowerCase());
    }
    return Optional.of(node.textValue());
  }

  /** An optional integral field; floats and strings are refused rather than coerced. */
  public static Optional<Long> optionalLong(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw invalid(field, "must be an integer, got " + describe(node));
    }
    return Optional.of(node.longValue());
  }

  public static Optional<Boolean> optionalBoolean(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isBoolean()) {
      throw invalid(field, "must be true or false, got " + describe(node));
    }
    return Optional.of(node.booleanValue());
  }

  /** 400 {@code invalid_field}: "field 'x' must be …". */
  public static CohortException invalid(String field, String rule) {
    String subject = field.isEmpty() ? "" : "field '" + field + "' ";
    return new CohortException(GatewayError.INVALID_FIELD, subject + rule);
  }

  private static String describe(JsonNode node) {
    return node.isTextual() ? "the string \"" + node.textValue() + "\"" : node.toString();
  }
}
