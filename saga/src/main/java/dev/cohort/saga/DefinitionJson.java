package dev.cohort.saga;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.internal.JsonValues;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JSON format of definitions (see saga/README.md): read strictly — an unknown field is an
 * error, so that a misspelt {@code "compensaton"} is reported instead of silently ignored — and
 * written back in the same shape. Stateless.
 */
final class DefinitionJson {
  private static final Set<String> TOP = Set.of("name", "version", "steps", "deadlineMs");
  private static final Set<String> STEP =
      Set.of(
          "name",
          "action",
          "compensation",
          "retry",
          "compensationRetry",
          "timeoutMs",
          "noCompensation");
  private static final Set<String> KINDS = Set.of("java", "http", "kv", "log");

  private DefinitionJson() {}

  static SagaDefinition parse(String name, String json) {
    if (json == null) {
      throw bad("definition is empty");
    }
    ObjectNode root = JsonValues.objectTree(json, SagaError.INVALID_DEFINITION, "definition");
    only(root, TOP, "definition");
    String declared = root.has("name") ? text(root.get("name"), "name") : null;
    if (name != null && declared != null && !name.equals(declared)) {
      throw bad("definition name '" + declared + "' does not match '" + name + "'");
    }
    String finalName = name != null ? name : declared;
    JsonNode steps = root.get("steps");
    if (!(steps instanceof ArrayNode array)) {
      throw bad("definition needs \"steps\": an array of steps");
    }
    List<SagaStep> parsed = new ArrayList<>();
    int i = 0;
    for (JsonNode node : array) {
      i++;
      parsed.add(step(node, i));
    }
    long deadline = root.has("deadlineMs") ? number(root.get("deadlineMs"), "deadlineMs") : 0;
    return new SagaDefinition(finalName, 0, parsed, deadline);
  }

  private static SagaStep step(JsonNode node, int index) {
    if (!(node instanceof ObjectNode step)) {
      throw bad("step " + index + " must be an object");
    }
    String name = step.has("name") ? text(step.get("name"), "step " + index + " name") : null;
    String where = "step '" + (name == null ? index : name) + "'";
    only(step, STEP, where);
    if (!step.has("action")) {
      throw bad(where + " has no action");
    }
    StepAction action = action(step.get("action"), where + " action");
    Optional<StepAction> compensation =
        step.hasNonNull("compensation")
            ? Optional.of(action(step.get("compensation"), where + " compensation"))
            : Optional.empty();
    RetryPolicy retry = step.has("retry") ? retry(step.get("retry"), where + " retry") : null;
    RetryPolicy compensationRetry =
        step.has("compensationRetry")
            ? retry(step.get("compensationRetry"), where + " compensationRetry")
            : null;
    long timeout = step.has("timeoutMs") ? number(step.get("timeoutMs"), where + " timeoutMs") : 0;
    boolean none =
        step.has("noCompensation") && bool(step.get("noCompensation"), where + " noCompensation");
    return new SagaStep(name, action, compensation, retry, compensationRetry, timeout, none);
  }

  private static StepAction action(JsonNode node, String where) {
    if (!(node instanceof ObjectNode object) || object.size() != 1) {
      throw bad(where + " must be an object with exactly one of java, http, kv, log");
    }
    String kind = object.fieldNames().next();
    if (!KINDS.contains(kind)) {
      throw bad(where + ": unknown step kind '" + kind + "' (expected java, http, kv or log)");
    }
    JsonNode spec = object.get(kind);
    String at = where + " (" + kind + ")";
    return switch (kind) {
      case "java" -> {
        if (spec.isTextual()) {
          yield new StepAction.Java(spec.asText());
        }
        ObjectNode o = obj(spec, at);
        only(o, Set.of("function"), at);
        yield new StepAction.Java(req(o, "function", at));
      }
      case "http" -> {
        ObjectNode o = obj(spec, at);
        only(o, Set.of("method", "url", "headers", "body", "successStatus", "retryableStatus"), at);
        String body = !o.hasNonNull("body") ? "" : o.get("body").toString();
        yield new StepAction.Http(
            req(o, "method", at).toUpperCase(Locale.ROOT),
            req(o, "url", at),
            strings(o.get("headers"), at + " headers"),
            body,
            statuses(o.get("successStatus"), at + " successStatus"),
            statuses(o.get("retryableStatus"), at + " retryableStatus"));
      }
      case "kv" -> {
        ObjectNode o = obj(spec, at);
        only(o, Set.of("op", "keyspace", "key", "value", "txn"), at);
        String op = req(o, "op", at).toLowerCase(Locale.ROOT);
        StepAction.KvOp kvOp =
            switch (op) {
              case "put" -> StepAction.KvOp.PUT;
              case "delete" -> StepAction.KvOp.DELETE;
              case "txn" -> StepAction.KvOp.TXN;
              default -> throw bad(at + ": op must be put, delete or txn, not '" + op + "'");
            };
        Optional<StepAction.KvTxn> txn =
            o.hasNonNull("txn") ? Optional.of(txn(o.get("txn"), at + " txn")) : Optional.empty();
        yield new StepAction.Kv(
            kvOp, req(o, "keyspace", at), opt(o, "key"), valueText(o, "value"), txn);
      }
      case "log" -> {
        ObjectNode o = obj(spec, at);
        only(o, Set.of("topic", "key", "value", "headers"), at);
        yield new StepAction.Log(
            req(o, "topic", at),
            opt(o, "key"),
            o.has("value") ? valueText(o, "value") : "",
            strings(o.get("headers"), at + " headers"));
      }
      default -> throw new AssertionError(kind);
    };
  }

  private static List<Integer> statuses(JsonNode node, String where) {
    List<Integer> statuses = new ArrayList<>();
    if (node != null && node.isArray()) {
      node.forEach(s -> statuses.add((int) number(s, where)));
    } else if (node != null && !node.isNull()) {
      statuses.add((int) number(node, where));
    }
    return statuses;
  }

  private static StepAction.KvTxn txn(JsonNode node, String where) {
    ObjectNode o = obj(node, where);
    only(o, Set.of("compare", "success", "failure"), where);
    List<StepAction.KvCompare> compares = new ArrayList<>();
    for (JsonNode c : array(o.get("compare"), where + " compare")) {
      ObjectNode co = obj(c, where + " compare");
      only(co, Set.of("key", "target", "op", "value"), where + " compare");
      compares.add(
          new StepAction.KvCompare(
              req(co, "key", where),
              req(co, "target", where).toLowerCase(Locale.ROOT),
              req(co, "op", where),
              valueText(co, "value")));
    }
    return new StepAction.KvTxn(
        compares,
        writes(o.get("success"), where + " success"),
        writes(o.get("failure"), where + " failure"));
  }

  private static List<StepAction.KvWrite> writes(JsonNode node, String where) {
    List<StepAction.KvWrite> writes = new ArrayList<>();
    for (JsonNode w : array(node, where)) {
      ObjectNode wo = obj(w, where);
      only(wo, Set.of("op", "key", "value"), where);
      writes.add(
          new StepAction.KvWrite(
              req(wo, "op", where).toLowerCase(Locale.ROOT),
              req(wo, "key", where),
              wo.has("value") ? valueText(wo, "value") : null));
    }
    return writes;
  }

  private static RetryPolicy retry(JsonNode node, String where) {
    ObjectNode o = obj(node, where);
    only(o, Set.of("maxAttempts", "initialBackoffMs", "maxBackoffMs", "multiplier"), where);
    if (!o.has("maxAttempts")) {
      throw bad(where + " needs maxAttempts");
    }
    long initial = o.has("initialBackoffMs") ? number(o.get("initialBackoffMs"), where) : 100;
    long max =
        o.has("maxBackoffMs") ? number(o.get("maxBackoffMs"), where) : Math.max(initial, 10_000);
    double multiplier = 2.0;
    if (o.has("multiplier")) {
      if (!o.get("multiplier").isNumber()) {
        throw bad(where + ": multiplier must be a number");
      }
      multiplier = o.get("multiplier").asDouble();
    }
    return new RetryPolicy(
        (int) number(o.get("maxAttempts"), where + " maxAttempts"), initial, max, multiplier);
  }

  // ---- writing ----

  static String write(SagaDefinition d) {
    ObjectNode root = JsonValues.MAPPER.createObjectNode();
    root.put("name", d.name());
    root.put("version", d.version());
    ArrayNode steps = root.putArray("steps");
    for (SagaStep s : d.steps()) {
      ObjectNode step = steps.addObject();
      step.put("name", s.name());
      step.set("action", action(s.action()));
      s.compensation().ifPresent(c -> step.set("compensation", action(c)));
      if (s.noCompensation()) {
        step.put("noCompensation", true);
      }
      if (s.retry() != null) {
        step.set("retry", retry(s.retry()));
      }
      if (s.compensationRetry() != null) {
        step.set("compensationRetry", retry(s.compensationRetry()));
      }
      if (s.timeoutMs() > 0) {
        step.put("timeoutMs", s.timeoutMs());
      }
    }
    if (d.deadlineMs() > 0) {
      root.put("deadlineMs", d.deadlineMs());
    }
    return root.toString();
  }

  private static ObjectNode retry(RetryPolicy p) {
    ObjectNode o = JsonValues.MAPPER.createObjectNode();
    o.put("maxAttempts", p.maxAttempts());
    o.put("initialBackoffMs", p.initialBackoffMs());
    o.put("maxBackoffMs", p.maxBackoffMs());
    o.put("multiplier", p.multiplier());
    return o;
  }

  private static ObjectNode action(StepAction action) {
    ObjectNode wrapper = JsonValues.MAPPER.createObjectNode();
    ObjectNode o = wrapper.putObject(action.kind());
    switch (action) {
      case StepAction.Java java -> o.put("function", java.function());
      case StepAction.Http http -> {
        o.put("method", http.method());
        o.put("url", http.url());
        if (!http.headers().isEmpty()) {
          ObjectNode headers = o.putObject("headers");
          new java.util.TreeMap<>(http.headers()).forEach(headers::put);
        }
        if (!http.body().isEmpty()) {
          o.set("body", JsonValues.tree(http.body(), SagaError.INVALID_DEFINITION, "body"));
        }
        if (!http.successStatus().isEmpty()) {
          ArrayNode statuses = o.putArray("successStatus");
          http.successStatus().forEach(statuses::add);
        }
        if (!http.retryableStatus().isEmpty()) {
          ArrayNode statuses = o.putArray("retryableStatus");
          http.retryableStatus().forEach(statuses::add);
        }
      }
      case StepAction.Kv kv -> {
        o.put("op", kv.op().name().toLowerCase(Locale.ROOT));
        o.put("keyspace", kv.keyspace());
        if (kv.key() != null && !kv.key().isEmpty()) {
          o.put("key", kv.key());
        }
        if (kv.op() == StepAction.KvOp.PUT) {
          o.put("value", kv.value());
        }
        kv.txn()
            .ifPresent(
                txn -> {
                  ObjectNode t = o.putObject("txn");
                  ArrayNode compares = t.putArray("compare");
                  txn.compare()
                      .forEach(
                          c ->
                              compares
                                  .addObject()
                                  .put("key", c.key())
                                  .put("target", c.target())
                                  .put("op", c.op())
                                  .put("value", c.value()));
                  writes(t.putArray("success"), txn.success());
                  writes(t.putArray("failure"), txn.failure());
                });
      }
      case StepAction.Log log -> {
        o.put("topic", log.topic());
        if (log.key() != null && !log.key().isEmpty()) {
          o.put("key", log.key());
        }
        o.put("value", log.value());
        if (!log.headers().isEmpty()) {
          ObjectNode headers = o.putObject("headers");
          new java.util.TreeMap<>(log.headers()).forEach(headers::put);
        }
      }
    }
    return wrapper;
  }

  private static void writes(ArrayNode out, List<StepAction.KvWrite> writes) {
    for (StepAction.KvWrite w : writes) {
      ObjectNode o = out.addObject().put("op", w.op()).put("key", w.key());
      if (w.value() != null) {
        o.put("value", w.value());
      }
    }
  }

  // ---- helpers ----

  private static void only(ObjectNode node, Set<String> allowed, String where) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw bad(
            where
                + ": unknown field '"
                + name
                + "' (allowed: "
                + String.join(", ", new java.util.TreeSet<>(allowed))
                + ")");
      }
    }
  }

  private static ObjectNode obj(JsonNode node, String where) {
    if (!(node instanceof ObjectNode o)) {
      throw bad(where + " must be an object");
    }
    return o;
  }

  private static Iterable<JsonNode> array(JsonNode node, String where) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw bad(where + " must be an array");
    }
    return node;
  }

  private static String req(ObjectNode o, String field, String where) {
    if (!o.hasNonNull(field)) {
      throw bad(where + " needs \"" + field + "\"");
    }
    return text(o.get(field), where + " " + field);
  }

  private static String opt(ObjectNode o, String field) {
    return o.hasNonNull(field) ? text(o.get(field), field) : "";
  }

  /** A string field as is; any other JSON value as its JSON text (so a value may be an object). */
  private static String valueText(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    return v.isTextual() ? v.asText() : v.toString();
  }

  private static String text(JsonNode node, String where) {
    if (!node.isTextual()) {
      throw bad(where + " must be a string");
    }
    return node.asText();
  }

  private static long number(JsonNode node, String where) {
    if (!node.isIntegralNumber()) {
      throw bad(where + " must be an integer");
    }
    return node.asLong();
  }

  private static boolean bool(JsonNode node, String where) {
    if (!node.isBoolean()) {
      throw bad(where + " must be true or false");
    }
    return node.asBoolean();
  }

  private static Map<String, String> strings(JsonNode node, String where) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    ObjectNode o = obj(node, where);
    o.fields()
        .forEachRemaining(e -> out.put(e.getKey(), text(e.getValue(), where + " " + e.getKey())));
    return out;
  }

  private static SagaException bad(String message) {
    return SagaError.INVALID_DEFINITION.exception(message);
  }
}
