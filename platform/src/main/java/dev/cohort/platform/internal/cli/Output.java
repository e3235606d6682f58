package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Map;

/**
 * Prints gateway answers on stdout in an {@link OutputFormat}, without colour or cursor movement,
 * so that piped output stays plain. The generic renderings live here; subcommands with a better
 * view (kv's key and value lines, a group's lag columns) print their own and fall back to these.
 */
final class Output {
  private Output() {}

  static PrintStream out() {
    return System.out;
  }

  /**
   * {@code json}: the answer indented; {@code table}: a list's items as rows (the first array field
   * of the answer) or a describe; {@code simple}: a scalar as itself, an object as {@code name:
   * value} lines (nested names joined with dots).
   */
  static void print(OutputFormat format, JsonNode answer) {
    switch (format) {
      case JSON -> json(answer);
      case TABLE -> table(answer);
      case SIMPLE -> simple("", answer);
    }
  }

  static void json(JsonNode answer) {
    out().println(answer.toPrettyString());
  }

  /** A list (an object whose only field is an array) as rows; anything else as a describe. */
  static void table(JsonNode answer) {
    if (answer.isObject() && answer.size() == 1 && answer.elements().next().isArray()) {
      Map.Entry<String, JsonNode> list = answer.properties().iterator().next();
      String column = Table.columnName(list.getKey().replaceAll("s$", ""));
      Table.ofItems(list.getValue(), column).print(out());
    } else if (answer.isObject()) {
      Table.describe(answer, out());
    } else {
      out().println(Table.cell(answer));
    }
  }

  private static void simple(String name, JsonNode node) {
    if (node.isObject()) {
      node.properties().forEach(e -> simple(join(name, e.getKey()), e.getValue()));
    } else if (node.isArray() && node.size() > 0 && node.get(0).isContainerNode()) {
      for (int i = 0; i < node.size(); i++) {
        simple(name + "[" + i + "]", node.get(i));
      }
    } else if (name.isEmpty()) {
      out().println(Table.cell(node));
    } else {
      out().println(name + ": " + Table.cell(node));
    }
  }

  private static String join(String name, String field) {
    return name.isEmpty() ? field : name + "." + field;
  }

  /** One JSON object per line, for each event of a stream in {@code json} format. */
  static void jsonLine(JsonNode event) {
    out().println(event.toString());
  }

  /** A key and its value on two lines, as {@code etcdctl get} prints them. */
  static void keyValue(JsonNode kv, boolean keysOnly) {
    out().println(kv.path("key").asText());
    if (!keysOnly) {
      out()
          .println(
              kv.has("valueBase64") ? kv.path("valueBase64").asText() : kv.path("value").asText());
    }
  }
}
