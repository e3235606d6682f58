package dev.cohort.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cohort.saga.StepFailure;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${...}} placeholders: {@code ${sagaId}}, {@code ${input.<path>}}, {@code
 * ${steps.<step>.output.<path>}}, resolved against the saga context (a JSON object). A placeholder
 * that does not resolve fails the step for good: no retry makes a missing field appear.
 */
public final class Templates {
  public static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");

  private Templates() {}

  /** The paths of every placeholder in {@code text}. */
  public static List<String> references(String text) {
    List<String> paths = new ArrayList<>();
    if (text != null) {
      Matcher m = PLACEHOLDER.matcher(text);
      while (m.find()) {
        paths.add(m.group(1).strip());
      }
    }
    return paths;
  }

  /** {@code text} with every placeholder replaced by its value's text. */
  public static String fill(String text, JsonNode context) {
    if (text == null || !text.contains("${")) {
      return text;
    }
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      JsonNode value = resolve(m.group(1).strip(), context);
      m.appendReplacement(
          out, Matcher.quoteReplacement(value.isValueNode() ? value.asText() : value.toString()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A JSON template filled in: each string that is exactly one placeholder becomes the value
   * (keeping its JSON type), other strings get their placeholders replaced by text.
   */
  public static JsonNode fillJson(JsonNode template, JsonNode context) {
    if (template.isTextual()) {
      String text = template.asText();
      Matcher m = PLACEHOLDER.matcher(text);
      if (m.matches()) {
        return resolve(m.group(1).strip(), context).deepCopy();
      }
      return TextNode.valueOf(fill(text, context));
    }
    if (template instanceof ObjectNode object) {
      ObjectNode out = JsonValues.MAPPER.createObjectNode();
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        out.set(field.getKey(), fillJson(field.getValue(), context));
      }
      return out;
    }
    if (template instanceof ArrayNode array) {
      ArrayNode out = JsonValues.MAPPER.createArrayNode();
      array.forEach(element -> out.add(fillJson(element, context)));
      return out;
    }
    return template;
  }

  private static JsonNode resolve(String path, JsonNode context) {
    JsonNode node = context;
    for (String part : path.split("\\.", -1)) {
      node = node == null ? null : node.get(part);
    }
    if (node == null || node.isMissingNode()) {
      throw StepFailure.permanent("placeholder ${" + path + "} has no value in the saga context");
    }
    return node;
  }
}
