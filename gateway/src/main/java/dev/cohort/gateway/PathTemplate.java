package dev.cohort.gateway;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A route's path template, such as {@code /v1/kv/{ks}/keys/{key*}}: the one declaration that both
 * matches request paths and names the route in metrics and the access log (the raw path would give
 * every key its own series).
 *
 * <p>A segment is a literal, {@code {name}} (one non-empty segment, percent-decoded as UTF-8),
 * {@code {name:int}} or {@code {name:long}} (one segment of decimal digits; anything else does not
 * match, so the request falls through to 404 as an unknown path would) or, last only, {@code
 * {name*}} (the rest of the path, at least one character, slashes included, percent-decoded). A
 * template without a rest variable also matches its path with one trailing slash.
 */
public final class PathTemplate {
  private sealed interface Part {}

  private record Literal(String text) implements Part {}

  private record Variable(String name, Kind kind) implements Part {}

  private enum Kind {
    SEGMENT,
    INT,
    LONG,
    REST
  }

  private final String text;
  private final List<Part> parts;

  private PathTemplate(String text, List<Part> parts) {
    this.text = text;
    this.parts = parts;
  }

  /** Parses a template; a malformed one is a programming error, reported at start-up. */
  public static PathTemplate parse(String text) {
    if (!text.startsWith("/") || text.length() < 2 || text.endsWith("/")) {
      throw new IllegalArgumentException(
          "path template must start with '/' and not end with one: " + text);
    }
    List<Part> parts = new ArrayList<>();
    String[] segments = text.substring(1).split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String segment = segments[i];
      if (segment.isEmpty()) {
        throw new IllegalArgumentException("empty segment in path template " + text);
      }
      if (!segment.startsWith("{")) {
        parts.add(new Literal(segment));
        continue;
      }
      if (!segment.endsWith("}")) {
        throw new IllegalArgumentException("unclosed variable '" + segment + "' in " + text);
      }
      Variable variable = variable(segment.substring(1, segment.length() - 1));
      if (variable.kind() == Kind.REST && i != segments.length - 1) {
        throw new IllegalArgumentException("a rest variable must come last: " + text);
      }
      parts.add(variable);
    }
    return new PathTemplate(text, List.copyOf(parts));
  }

  private static Variable variable(String spec) {
    if (spec.endsWith("*")) {
      return new Variable(spec.substring(0, spec.length() - 1), Kind.REST);
    }
    int colon = spec.indexOf(':');
    if (colon < 0) {
      return new Variable(spec, Kind.SEGMENT);
    }
    String type = spec.substring(colon + 1);
    Kind kind =
        switch (type) {
          case "int" -> Kind.INT;
          case "long" -> Kind.LONG;
          default -> throw new IllegalArgumentException("unknown variable type '" + type + "'");
        };
    return new Variable(spec.substring(0, colon), kind);
  }

  /** The template as written: the route's name in metrics and logs. */
  public String text() {
    return text;
  }

  /**
   * The variables of {@code rawPath} (as sent, percent-encoded) when it matches; a malformed
   * percent-escape in a variable is a 400 naming it.
   */
  public Optional<PathParams> match(String rawPath) {
    Map<String, String> values = new HashMap<>();
    int at = 0;
    for (Part part : parts) {
      if (at >= rawPath.length() || rawPath.charAt(at) != '/') {
        return Optional.empty();
      }
      at++;
      if (part instanceof Variable v && v.kind() == Kind.REST) {
        if (at >= rawPath.length()) {
          return Optional.empty();
        }
        values.put(v.name(), PathKeys.decode(rawPath.substring(at)));
        return Optional.of(new PathParams(values));
      }
      int end = rawPath.indexOf('/', at);
      String segment = rawPath.substring(at, end < 0 ? rawPath.length() : end);
      at += segment.length();
      if (segment.isEmpty() || !accepts(part, segment)) {
        return Optional.empty();
      }
      if (part instanceof Variable v) {
        values.put(v.name(), v.kind() == Kind.SEGMENT ? PathKeys.decode(segment) : segment);
      }
    }
    boolean ends = at == rawPath.length() || (at == rawPath.length() - 1 && rawPath.endsWith("/"));
    return ends ? Optional.of(new PathParams(values)) : Optional.empty();
  }

  private static boolean accepts(Part part, String segment) {
    return switch (part) {
      case Literal literal -> literal.text().equals(segment);
      case Variable v ->
          switch (v.kind()) {
            case SEGMENT, REST -> true;
            case INT -> digits(segment, 10);
            case LONG -> digits(segment, 19);
          };
    };
  }

  /** Decimal digits that fit the type (a value past its range does not match, as Pekko's). */
  private static boolean digits(String segment, int maxDigits) {
    if (segment.length() > maxDigits) {
      return false;
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    try {
      if (maxDigits == 10) {
        Integer.parseInt(segment);
      } else {
        Long.parseLong(segment);
      }
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return text;
  }

  /** The variables a matched path bound, by name. */
  public static final class PathParams {
    private final Map<String, String> values;

    PathParams(Map<String, String> values) {
      this.values = Map.copyOf(values);
    }

    /** A variable's decoded text; asking for one the template lacks is a programming error. */
    public String get(String name) {
      String value = values.get(name);
      if (value == null) {
        throw new IllegalArgumentException("the template binds no variable '" + name + "'");
      }
      return value;
    }

    /** An {@code int} variable (the template's {@code :int} guaranteed the digits). */
    public int getInt(String name) {
      return Integer.parseInt(get(name));
    }

    /** A {@code long} variable (the template's {@code :long} guaranteed the digits). */
    public long getLong(String name) {
      return Long.parseLong(get(name));
    }
  }
}
