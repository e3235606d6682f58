package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.kv.Compare;
import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.Leader;
import dev.cohort.kv.LeaseInfo;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;

/**
 * The kv service's JSON: request bodies and query parameters in (each rule once, each failure a
 * {@link KvException} naming the field), results out. Values travel as {@code value} when they are
 * valid UTF-8 and as {@code valueBase64} otherwise.
 */
final class KvJson {
  private KvJson() {}

  /** {@code GET /v1/kv/{ks}/keys}: exactly one of {@code prefix} and {@code from}. */
  static RangeRequest rangeRequest(Map<String, String> params) {
    if (params.containsKey("prefix") == params.containsKey("from")) {
      throw KvError.INVALID_REQUEST.exception(
          "give exactly one of the query parameters 'prefix' and 'from'");
    }
    return new RangeRequest(
        params.get("prefix"),
        params.get("from"),
        params.get("to"),
        (int) Math.min(Integer.MAX_VALUE, longParam("limit", params.getOrDefault("limit", "0"))),
        boolParam("keysOnly", Optional.ofNullable(params.get("keysOnly"))),
        boolParam("countOnly", Optional.ofNullable(params.get("countOnly"))),
        params.get("page"));
  }

  /**
   * {@code GET /v1/kv/{ks}/watch}: exactly one of {@code key} and {@code prefix}; a {@code
   * Last-Event-ID} header (a reconnecting browser's) wins over {@code from}.
   */
  static WatchRequest watchRequest(Map<String, String> params, Optional<String> lastEventId) {
    if (params.containsKey("key") == params.containsKey("prefix")) {
      throw KvError.INVALID_REQUEST.exception(
          "give exactly one of the query parameters 'key' and 'prefix'");
    }
    return new WatchRequest(
        params.get("key"),
        params.get("prefix"),
        lastEventId.orElse(params.get("from")),
        boolParam("prevKv", Optional.ofNullable(params.get("prevKv"))));
  }

  static TxnRequest txnRequest(JsonNode json) {
    return new TxnRequest(
        list(json, "compare", KvJson::compare),
        list(json, "success", KvJson::txnOp),
        list(json, "failure", KvJson::txnOp));
  }

  /** The lease an election call acts for: its {@code key}, {@code lease} and {@code term}. */
  static Leader leadership(String election, JsonNode json) {
    return new Leader(
        election,
        Json.text(json, "key"),
        new byte[0],
        Json.optionalLong(json, "lease").orElseThrow(() -> Json.invalid("lease", "is required")),
        Json.optionalLong(json, "term").orElse(0L));
  }

  static byte[] value(JsonNode json, String textField, String base64Field) {
    Optional<String> text = Json.optionalText(json, textField);
    Optional<String> base64 = Json.optionalText(json, base64Field);
    if (text.isPresent() == base64.isPresent()) {
      throw Json.invalid(
          textField, "give exactly one of '" + textField + "' and '" + base64Field + "'");
    }
    return text.map(t -> t.getBytes(StandardCharsets.UTF_8))
        .orElseGet(() -> PathKeys.fromBase64(base64Field, base64.get()));
  }

  static PutOptions putOptions(JsonNode json) {
    return new PutOptions(
        Json.optionalLong(json, "lease").orElse(0L),
        Json.optionalBoolean(json, "prevKv").orElse(false),
        Json.optionalBoolean(json, "ignoreLease").orElse(false));
  }

  static Duration ttl(JsonNode json) {
    return Duration.ofSeconds(
        Json.optionalLong(json, "ttlSeconds")
            .orElseThrow(() -> Json.invalid("ttlSeconds", "is required")));
  }

  static Duration waitFor(JsonNode json) {
    long millis = Json.optionalLong(json, "waitMs").orElse(0L);
    if (millis < 0) {
      throw Json.invalid("waitMs", "must not be negative");
    }
    return Duration.ofMillis(millis);
  }

  private static <T> List<T> list(JsonNode json, String field, Function<JsonNode, T> parse) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw malformed("'" + field + "' must be an array");
    }
    List<T> items = new ArrayList<>();
    for (JsonNode item : node) {
      if (!item.isObject()) {
        throw malformed("every item of '" + field + "' must be an object");
      }
      items.add(parse.apply(item));
    }
    return items;
  }

  static Compare compare(JsonNode json) {
    String key = requireText(json, "key", "compare");
    String targetName = requireText(json, "target", "compare");
    Compare.Target target =
        switch (targetName) {
          case "value" -> Compare.Target.VALUE;
          case "version" -> Compare.Target.VERSION;
          case "createRevision" -> Compare.Target.CREATE_REVISION;
          case "modRevision" -> Compare.Target.MOD_REVISION;
          case "lease" -> Compare.Target.LEASE;
          default ->
              throw malformed(
                  "compare target must be value, version, createRevision, modRevision or lease, not '"
                      + targetName
                      + "'");
        };
    Compare.Op op;
    try {
      op = Compare.Op.parse(requireText(json, "op", "compare"));
    } catch (IllegalArgumentException e) {
      throw malformed("compare op must be one of = != < >, not '" + json.get("op").asText() + "'");
    }
    JsonNode operand = json.get("value");
    if (target == Compare.Target.VALUE) {
      byte[] bytes =
          json.has("valueBase64")
              ? PathKeys.fromBase64("valueBase64", requireText(json, "valueBase64", "compare"))
              : requireText(json, "value", "compare").getBytes(StandardCharsets.UTF_8);
      return new Compare(key, target, op, bytes, 0);
    }
    if (operand == null || !operand.isIntegralNumber()) {
      throw malformed("compare on " + targetName + " needs an integer 'value'");
    }
    return new Compare(key, target, op, new byte[0], operand.longValue());
  }

  static TxnOp txnOp(JsonNode json) {
    if (json.size() != 1) {
      throw malformed("a txn op is one of {\"put\":…}, {\"get\":…}, {\"delete\":…}");
    }
    String kind = json.fieldNames().next();
    JsonNode op = json.get(kind);
    if (!op.isObject()) {
      throw malformed("'" + kind + "' must be an object");
    }
    String key = requireText(op, "key", kind);
    return switch (kind) {
      case "put" -> new TxnOp.Put(key, value(op, "value", "valueBase64"), putOptions(op));
      case "get" -> new TxnOp.Get(key);
      case "delete" -> new TxnOp.Delete(key, Json.optionalBoolean(op, "prevKv").orElse(false));
      default -> throw malformed("unknown txn op '" + kind + "'; use put, get or delete");
    };
  }

  private static String requireText(JsonNode json, String field, String where) {
    JsonNode node = json.get(field);
    if (node == null || !node.isTextual()) {
      throw malformed("'" + field + "' of " + where + " is required and must be a string");
    }
    return node.textValue();
  }

  private static KvException malformed(String message) {
    return KvError.MALFORMED_TXN.exception(message);
  }

  static long longParam(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw KvError.INVALID_REQUEST.exception("query parameter '" + name + "' must be an integer");
    }
  }

  static boolean boolParam(String name, Optional<String> value) {
    return value
        .map(
            v ->
                switch (v) {
                  case "true", "" -> true;
                  case "false" -> false;
                  default ->
                      throw KvError.INVALID_REQUEST.exception(
                          "query parameter '" + name + "' must be true or false");
                })
        .orElse(false);
  }

  static ObjectNode rangeResult(RangeResult result) {
    ObjectNode node = Json.object();
    ArrayNode kvs = node.putArray("kvs");
    result.kvs().forEach(k -> kvs.add(keyValue(k)));
    node.put("count", result.count());
    node.put("more", result.more());
    node.put("next", result.next());
    node.put("token", result.token());
    return node;
  }

  static ObjectNode txnResult(TxnResult result) {
    ObjectNode node = Json.object();
    node.set("header", header(result.header()));
    node.put("succeeded", result.succeeded());
    ArrayNode responses = node.putArray("responses");
    result.responses().forEach(r -> responses.add(txnOpResult(r)));
    // One per partition touched: several when the transaction ran a two-phase commit.
    ArrayNode headers = node.putArray("headers");
    result.headers().forEach(h -> headers.add(header(h)));
    return node;
  }

  static ObjectNode header(Header header) {
    return Json.object().put("partition", header.partition()).put("revision", header.revision());
  }

  static ObjectNode keyValue(KeyValue kv) {
    ObjectNode node = Json.object().put("key", kv.key());
    Optional<String> text = PathKeys.utf8(kv.value());
    if (text.isPresent()) {
      node.put("value", text.get());
    } else {
      node.put("valueBase64", PathKeys.base64(kv.value()));
    }
    return node.put("createRevision", kv.createRevision())
        .put("modRevision", kv.modRevision())
        .put("version", kv.version())
        .put("lease", kv.lease());
  }

  static ObjectNode info(KeyspaceInfo info) {
    return Json.object()
        .put("name", info.name())
        .put("mode", info.mode())
        .put("partitions", info.partitions())
        .put("createdAtMillis", info.createdAtMillis());
  }

  static ArrayNode infos(List<KeyspaceInfo> all) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    all.forEach(i -> array.add(info(i)));
    return array;
  }

  static ObjectNode deleteResult(DeleteResult result) {
    ObjectNode node = Json.object().put("deleted", result.deleted());
    ArrayNode headers = node.putArray("headers");
    result.headers().forEach(h -> headers.add(header(h)));
    if (!result.prevKvs().isEmpty()) {
      ArrayNode prev = node.putArray("prevKvs");
      result.prevKvs().forEach(k -> prev.add(keyValue(k)));
    }
    return node.put("token", result.token());
  }

  static ObjectNode txnOpResult(TxnOpResult result) {
    ObjectNode node = Json.object();
    switch (result) {
      case TxnOpResult.Put put -> {
        ObjectNode body = node.putObject("put");
        put.prevKv().ifPresent(prev -> body.set("prevKv", keyValue(prev)));
      }
      case TxnOpResult.Get get -> {
        ObjectNode body = node.putObject("get");
        get.kv().ifPresent(k -> body.set("kv", keyValue(k)));
      }
      case TxnOpResult.Delete delete -> {
        ObjectNode body = node.putObject("delete").put("deleted", delete.deleted());
        if (!delete.prevKvs().isEmpty()) {
          ArrayNode prev = body.putArray("prevKvs");
          delete.prevKvs().forEach(k -> prev.add(keyValue(k)));
        }
      }
      case TxnOpResult.Txn nested -> {
        // Only the embedded API and the etcd listener build nested transactions.
        ObjectNode body = node.putObject("txn").put("succeeded", nested.succeeded());
        ArrayNode responses = body.putArray("responses");
        nested.responses().forEach(r -> responses.add(txnOpResult(r)));
      }
    }
    return node;
  }

  static ObjectNode lease(LeaseInfo info) {
    ObjectNode node =
        Json.object()
            .put("id", info.id())
            .put("grantedTtlSeconds", info.grantedTtlSeconds())
            .put("ttlSeconds", info.remainingSeconds());
    ArrayNode keys = node.putArray("keys");
    info.keys()
        .forEach(k -> keys.add(Json.object().put("keyspace", k.keyspace()).put("key", k.key())));
    return node;
  }

  static ObjectNode leader(Leader leader) {
    ObjectNode node = Json.object().put("election", leader.election()).put("key", leader.key());
    Optional<String> text = PathKeys.utf8(leader.value());
    if (text.isPresent()) {
      node.put("value", text.get());
    } else {
      node.put("valueBase64", PathKeys.base64(leader.value()));
    }
    return node.put("lease", leader.lease()).put("term", leader.term());
  }

  static ServerSentEvent watchEvent(WatchEvent event) {
    ObjectNode node = Json.object().put("type", event.type().name().toLowerCase());
    node.set("kv", keyValue(event.kv()));
    if (event.prevKv() != null) {
      node.set("prevKv", keyValue(event.prevKv()));
    }
    node.set("header", header(event.header()));
    if (event.snapshot()) {
      node.put("snapshot", true);
    }
    return Sse.event(event.type().name().toLowerCase(), node, event.token());
  }
}
