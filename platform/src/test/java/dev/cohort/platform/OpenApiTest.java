package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.gateway.Endpoint;
import dev.cohort.gateway.OpenApiRoutes;
import dev.cohort.gateway.ServedEndpoints;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/openapi.json} against a real embedded node: the document describes exactly the
 * endpoints the gateway serves (read from their {@link Endpoint} declarations through {@link
 * ServedEndpoints}), every operation says what it answers and how it fails, and every example in it
 * ({@code x-examples}), replayed in the order of its step, answers with the status shown and a body
 * of the shape the schema and the example show.
 */
@Tag("integration")
class OpenApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CAPTURED = Pattern.compile("\\{\\{(\\w+)\\}\\}");
  private static final Set<String> METHODS = Set.of("get", "put", "post", "patch", "delete");

  private static CohortNode node;
  private static JsonNode document;
  private static final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-openapi").build());
    HttpResponse<byte[]> served =
        client.send(
            request("GET", "/v1/openapi.json", null).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, served.statusCode());
    assertEquals("application/json", served.headers().firstValue("Content-Type").orElse(""));
    assertArrayEquals(OpenApiRoutes.load(), served.body());
    document = JSON.readTree(served.body());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void describesExactlyTheServedEndpoints() {
    Set<String> served = new TreeSet<>();
    for (Endpoint endpoint : ServedEndpoints.get(node.system()).all()) {
      served.add(endpoint.method().name() + " " + openApiPath(endpoint.path().text()));
    }
    assertTrue(served.size() > 70, "only " + served.size() + " endpoints served: " + served);
    Set<String> described = new TreeSet<>();
    forEachOperation((operation, spec) -> described.add(operation));
    Set<String> undescribed = new TreeSet<>(served);
    undescribed.removeAll(described);
    Set<String> notServed = new TreeSet<>(described);
    notServed.removeAll(served);
    assertTrue(undescribed.isEmpty(), "served but not in openapi.json: " + undescribed);
    assertTrue(notServed.isEmpty(), "in openapi.json but not served: " + notServed);
  }

  @Test
  void everyOperationDescribesItsAnswersErrorsAndHasAnExample() {
    List<String> gaps = new ArrayList<>();
    forEachOperation(
        (name, operation) -> {
          for (String field : List.of("summary", "description", "responses", "x-examples")) {
            JsonNode value = operation.path(field);
            boolean missing =
                value.isTextual()
                    ? value.asText().isBlank()
                    : !value.isContainerNode() || value.isEmpty();
            if (missing) {
              gaps.add(name + " has no " + field);
            }
          }
          JsonNode responses = operation.path("responses");
          boolean success = false;
          for (var it = responses.fieldNames(); it.hasNext(); ) {
            success |= it.next().startsWith("2");
          }
          if (!success || !responses.has("default")) {
            gaps.add(name + " lacks a 2xx or the default error answer");
          }
          for (JsonNode parameter : operation.path("parameters")) {
            if (parameter.path("description").asText("").isBlank()) {
              gaps.add(
                  name + " parameter " + parameter.path("name").asText() + " has no description");
            }
          }
        });
    assertTrue(gaps.isEmpty(), String.join("\n", gaps));
  }

  @Test
  void everyExampleAnswersAsDescribed() throws Exception {
    List<Example> examples = new ArrayList<>();
    forEachOperation(
        (name, operation) ->
            operation
                .path("x-examples")
                .forEach(x -> examples.add(new Example(name, operation, x))));
    examples.sort(Comparator.comparingInt(e -> e.example().path("step").asInt()));
    assertTrue(examples.size() > 100, "only " + examples.size() + " examples");

    Map<String, JsonNode> captured = new HashMap<>();
    List<String> wrong = new ArrayList<>();
    for (Example example : examples) {
      wrong.addAll(run(example, captured));
    }
    assertTrue(
        wrong.isEmpty(),
        wrong.size() + " examples answered otherwise:\n" + String.join("\n", wrong));
  }

  private record Example(String operation, JsonNode spec, JsonNode example) {
    String method() {
      return operation.substring(0, operation.indexOf(' '));
    }
  }

  private static List<String> run(Example e, Map<String, JsonNode> captured) throws Exception {
    JsonNode request = e.example().path("request");
    JsonNode expected = e.example().path("response");
    String path = substitutePath(request.path("path").asText(), captured);
    String body =
        request.has("rawBody")
            ? request.path("rawBody").asText()
            : request.has("body")
                ? substituteBody(request.path("body"), captured).toString()
                : null;
    if (body == null && Set.of("POST", "PUT", "PATCH").contains(e.method())) {
      body = "";
    }
    String where = "step " + e.example().path("step").asInt() + " " + e.method() + " " + path;
    int status = expected.path("status").asInt();
    List<String> wrong = new ArrayList<>();
    HttpRequest built = request(e.method(), path, body).build();
    if (expected.path("stream").asBoolean()) {
      HttpResponse<InputStream> response =
          client.send(built, HttpResponse.BodyHandlers.ofInputStream());
      response.body().close();
      if (response.statusCode() != status) {
        wrong.add(where + ": status " + response.statusCode() + ", described " + status);
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      String described =
          e.spec()
              .path("responses")
              .path(Integer.toString(status))
              .path("content")
              .fieldNames()
              .next();
      if (!type.startsWith(described)) {
        wrong.add(where + ": content type " + type + ", described " + described);
      }
      return wrong;
    }
    HttpResponse<String> response = client.send(built, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != status) {
      wrong.add(
          where
              + ": status "
              + response.statusCode()
              + " ("
              + response.body()
              + "), described "
              + status);
      return wrong;
    }
    JsonNode answer = e.spec().path("responses").path(Integer.toString(status));
    if (answer.isMissingNode()) {
      answer = e.spec().path("responses").path("default");
    }
    if (answer.isMissingNode()) {
      wrong.add(where + ": status " + status + " is not among the operation's responses");
      return wrong;
    }
    String contentType = answer.path("content").fieldNames().next();
    if (!contentType.equals("application/json")) {
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (!type.startsWith(contentType)) {
        wrong.add(where + ": content type " + type + ", described " + contentType);
      }
      return wrong;
    }
    JsonNode actual = JSON.readTree(response.body());
    SchemaCheck check = new SchemaCheck(document);
    JsonNode schema = answer.path("content").path("application/json").path("schema");
    check.validate("answer", actual, schema);
    if (expected.has("body")) {
      check.validate("example", expected.path("body"), schema);
      check.sameShape("answer", expected.path("body"), actual);
    }
    check.violations().forEach(v -> wrong.add(where + ": " + v));
    e.example()
        .path("capture")
        .properties()
        .forEach(c -> captured.put(c.getKey(), actual.at(c.getValue().asText())));
    return wrong;
  }

  private static HttpRequest.Builder request(String method, String path, String body) {
    return HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
  }

  /** {@code {{name}}} in a path: the captured value, percent-encoded, slashes kept. */
  private static String substitutePath(String path, Map<String, JsonNode> captured) {
    Matcher m = CAPTURED.matcher(path);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = captured(captured, m.group(1)).asText();
      String encoded =
          URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
      m.appendReplacement(out, Matcher.quoteReplacement(encoded));
    }
    return m.appendTail(out).toString();
  }

  /**
   * {@code "{{name}}"} as a whole string becomes the captured value itself (a number stays one).
   */
  private static JsonNode substituteBody(JsonNode body, Map<String, JsonNode> captured) {
    if (body.isTextual()) {
      Matcher whole = CAPTURED.matcher(body.asText());
      if (whole.matches()) {
        return captured(captured, whole.group(1));
      }
      return body;
    }
    if (body.isObject()) {
      ObjectNode copy = JSON.createObjectNode();
      body.properties().forEach(e -> copy.set(e.getKey(), substituteBody(e.getValue(), captured)));
      return copy;
    }
    if (body.isArray()) {
      var copy = JSON.createArrayNode();
      body.forEach(item -> copy.add(substituteBody(item, captured)));
      return copy;
    }
    return body;
  }

  private static JsonNode captured(Map<String, JsonNode> captured, String name) {
    JsonNode value = captured.get(name);
    if (value == null || value.isMissingNode()) {
      throw new AssertionError("an example uses {{" + name + "}} before any step captured it");
    }
    return value;
  }

  /** {@code /v1/leases/{id:long}} and {@code /v1/kv/{ks}/keys/{key*}} as OpenAPI writes them. */
  private static String openApiPath(String template) {
    return template.replaceAll("\\{(\\w+)(:\\w+|\\*)?\\}", "{$1}");
  }

  private static void forEachOperation(java.util.function.BiConsumer<String, JsonNode> action) {
    document
        .path("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          if (METHODS.contains(op.getKey())) {
                            action.accept(
                                op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(),
                                op.getValue());
                          }
                        }));
  }
}
