package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Aligned text columns with an upper-case header, as {@code kafka-consumer-groups --describe}
 * prints them: every column as wide as its widest cell, two spaces between columns, no trailing
 * blanks, no colour. Column names derive from JSON field names ({@code logEndOffset} becomes {@code
 * LOG-END-OFFSET}).
 */
final class Table {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  Table(List<String> header) {
    this.header = List.copyOf(header);
  }

  static Table of(String... header) {
    return new Table(List.of(header));
  }

  Table row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(
          "a row of " + cells.length + " cells in a table of " + header.size() + " columns");
    }
    List<String> row = new ArrayList<>();
    for (Object cell : cells) {
      row.add(cell == null ? "-" : cell.toString());
    }
    rows.add(row);
    return this;
  }

  /**
   * A table of {@code items} (JSON objects, or plain values under {@code valueColumn}): one column
   * per scalar field, in the order fields first appear.
   */
  static Table ofItems(JsonNode items, String valueColumn) {
    Set<String> fields = new LinkedHashSet<>();
    boolean objects = false;
    for (JsonNode item : items) {
      if (item.isObject()) {
        objects = true;
        item.properties().forEach(e -> fields.add(e.getKey()));
      }
    }
    if (!objects) {
      Table table = Table.of(valueColumn);
      items.forEach(item -> table.row(cell(item)));
      return table;
    }
    Table table = new Table(fields.stream().map(Table::columnName).toList());
    for (JsonNode item : items) {
      table.row(fields.stream().map(f -> cell(item.get(f))).toArray());
    }
    return table;
  }

  /**
   * A describe of one object: its scalar fields as FIELD and VALUE rows (nested objects flattened
   * with dots), then each array of objects as a table of its own under its name.
   */
  static void describe(JsonNode object, PrintStream out) {
    Table fields = Table.of("FIELD", "VALUE");
    List<Map.Entry<String, JsonNode>> sections = new ArrayList<>();
    flatten("", object, fields, sections);
    fields.print(out);
    for (Map.Entry<String, JsonNode> section : sections) {
      out.println();
      out.println(columnName(section.getKey()) + ":");
      ofItems(section.getValue(), "VALUE").print(out);
    }
  }

  private static void flatten(
      String prefix, JsonNode node, Table fields, List<Map.Entry<String, JsonNode>> sections) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = prefix + e.getKey();
      JsonNode value = e.getValue();
      if (value.isObject() && !value.isEmpty()) {
        flatten(name + ".", value, fields, sections);
      } else if (value.isArray() && !value.isEmpty() && value.get(0).isContainerNode()) {
        sections.add(Map.entry(name, value));
      } else {
        fields.row(name, cell(value));
      }
    }
  }

  /**
   * A cell's text: scalars as themselves, arrays of scalars joined by commas, null as "-"; line
   * breaks and tabs escaped so that one row stays one line.
   */
  static String cell(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return "-";
    }
    if (value.isArray()) {
      List<String> parts = new ArrayList<>();
      value.forEach(v -> parts.add(v.isValueNode() ? v.asText() : v.toString()));
      return String.join(",", parts);
    }
    String text = value.isValueNode() ? value.asText() : value.toString();
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t");
  }

  /** {@code logEndOffset} → {@code LOG-END-OFFSET}; {@code retention.ms} stays as it is, upper. */
  static String columnName(String field) {
    return field.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toUpperCase(java.util.Locale.ROOT);
  }

  void print(PrintStream out) {
    int[] widths = new int[header.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = header.get(c).length();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    printRow(header, widths, out);
    rows.forEach(row -> printRow(row, widths, out));
  }

  private static void printRow(List<String> cells, int[] widths, PrintStream out) {
    StringBuilder line = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      line.append(cells.get(c));
      if (c < cells.size() - 1) {
        line.append(" ".repeat(widths[c] - cells.get(c).length() + 2));
      }
    }
    out.println(line.toString().stripTrailing());
  }
}
