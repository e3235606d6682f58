package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.kv.Compare;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.kv.Leader;
import dev.cohort.kv.LeaseInfo;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.Consistency;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The kv service over HTTP: keyspaces ({@code /v1/keyspaces}), keys, ranges, transactions and
 * watches ({@code /v1/kv/{ks}/…}), leases ({@code /v1/leases}), locks ({@code /v1/locks}) and
 * elections ({@code /v1/elections}). JSON in and out; watches and election observers are
 * server-sent events whose {@code id:} is a resume token. Every error is a {@link KvException}
 * rendered in the gateway's one error shape.
 */
public final class KvRoutes extends JsonRoutes {
  private static final Duration SSE_KEEPALIVE = Duration.ofSeconds(15);
  private static final String AP = "ap";

  private final Kv kv;
  private final ApKeyspaces ap;

  /** {@code ap}: the node's AP keyspaces, for replication factors (the same as {@code kv} uses). */
  public KvRoutes(Kv kv, ApKeyspaces ap) {
    this.kv = kv;
    this.ap = ap;
  }

  public Route route() {
    return pathPrefix(
        "v1",
        () ->
            concat(
                pathPrefix("keyspaces", this::keyspaces),
                pathPrefix(PathMatchers.segment("kv").slash(PathMatchers.segment()), this::keyspaceScoped),
                pathPrefix("leases", this::leases),
                pathPrefix("locks", this::locks),
                pathPrefix("elections", this::elections)));
  }

  // Keyspaces

  private Route keyspaces() {
    return concat(
        pathEndOrSingleSlash(
            () ->
                HttpApi.named(
                    "/v1/keyspaces",
                    () ->
                        get(
                            () ->
                                onSuccess(
                                    kv.keyspaces(),
                                    all -> complete(Json.ok(Map.of("keyspaces", infos(all)))))))),
        path(
            PathMatchers.segment(),
            name ->
                HttpApi.named(
                    "/v1/keyspaces/{ks}",
                    () ->
                        concat(
                            put(() -> body(json -> createKeyspace(name, json))),
                            get(
                                () ->
                                    onSuccess(
                                        kv.keyspaceStats(name),
                                        stats -> {
                                          ObjectNode node = info(stats.info());
                                          if (AP.equals(stats.info().mode())) {
                                            node.put("replicationFactor", ap.keyspace(
                                                name, stats.info().incarnation()).replicationFactor());
                                          }
                                          node.put("keys", stats.keys());
                                          node.put("bytes", stats.bytes());
                                          node.put("token", stats.token());
                                          return complete(Json.ok(node));
                                        })),
                            delete(
                                () ->
                                    onSuccess(
                                        kv.deleteKeyspace(name),
                                        done ->
                                            complete(
                                                Json.ok(Json.object().put("deleted", name)))))))));
  }

  private Route createKeyspace(String name, JsonNode json) {
    String mode = Json.optionalText(json, "mode").orElse("cp");
    long partitions = Json.optionalLong(json, "partitions").orElse(64L);
    if (partitions < 1 || partitions > Integer.MAX_VALUE) {
      throw Json.invalid("partitions", "must be a positive integer");
    }
    Optional<Long> replicationFactor = Json.optionalLong(json, "replicationFactor");
    if (replicationFactor.isPresent() && !AP.equals(mode)) {
      throw Json.invalid("replicationFactor", "is a setting of AP keyspaces (\"mode\":\"ap\")");
    }
    long rf = replicationFactor.orElse(0L);
    if (replicationFactor.isPresent() && (rf < 1 || rf > 15)) {
      throw Json.invalid("replicationFactor", "must be within 1..15, got " + rf);
    }
    return onSuccess(
        kv.createKeyspace(name, new KeyspaceSpec(mode, (int) partitions))
            .thenCompose(info -> described(info, (int) rf)),
        node ->
            complete(Json.response(
                node.get("created").asBoolean() ? StatusCodes.CREATED : StatusCodes.OK,
                node.without("created"))));
  }

  /**
   * The keyspace as JSON; for an AP keyspace with its replication factor, recorded now when the
   * keyspace was just created ({@code rf} 0: the default, min(3, cluster size)).
   */
  private CompletionStage<ObjectNode> described(KeyspaceInfo info, int rf) {
    ObjectNode node = info(info).put("created", info.created());
    if (!AP.equals(info.mode())) {
      return CompletableFuture.completedFuture(node);
    }
    return ap.configure(info.name(), info.incarnation(), rf)
        .thenApply(recorded -> node.put("replicationFactor", recorded));
  }

  // Keys, ranges, transactions, watches

  private Route keyspaceScoped(String keyspace) {
    return concat(
        pathPrefix(
            "keys",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            HttpApi.named(
                                "/v1/kv/{ks}/keys",
                                () ->
                                    concat(
                                        get(() -> range(keyspace)),
                                        delete(() -> deletePrefix(keyspace))))),
                    path(
                        PathMatchers.remaining(),
                        raw ->
                            HttpApi.named(
                                "/v1/kv/{ks}/keys/{key}", () -> key(keyspace, PathKeys.decode(raw)))))),
        path(
            "txn",
            () -> HttpApi.named("/v1/kv/{ks}/txn", () -> post(() -> body(json -> txn(keyspace, json))))),
        path("watch", () -> HttpApi.named("/v1/kv/{ks}/watch", () -> get(() -> watch(keyspace)))));
  }

  private Route key(String keyspace, String key) {
    return concat(
        put(() -> consistency(c -> body(json -> putKey(keyspace, key, json, c)))),
        get(
            () ->
                parameterOptional(
                    "revision",
                    revision ->
                        consistency(
                            c ->
                        onSuccess(
                            revision.isPresent()
                                ? kv.get(keyspace, key, longParam("revision", revision.get()))
                                : kv.get(keyspace, key, c),
                            result -> {
                              ObjectNode node = Json.object();
                              node.set("header", header(result.header()));
                              node.set("kv", keyValue(result.kv()));
                              return complete(Json.ok(node));
                            })))),
        delete(
            () ->
                parameterOptional(
                    "prevKv",
                    prevKv ->
                        consistency(
                            c ->
                                onSuccess(
                                    kv.delete(keyspace, key, boolParam("prevKv", prevKv), c),
                                    result -> complete(Json.ok(deleteResult(result))))))));
  }

  /**
   * The request's {@code ?consistency=one|quorum|all} for AP keyspaces (absent: the configured
   * default); CP keyspaces are linearizable per partition whatever it says.
   */
  private Route consistency(Function<Consistency, Route> inner) {
    return parameterOptional(
        "consistency", text -> inner.apply(Consistency.parse(text.orElse(null), null)));
  }

  private Route putKey(String keyspace, String key, JsonNode json, Consistency consistency) {
    byte[] value = value(json, "value", "valueBase64");
    PutOptions options = putOptions(json);
    long ttlSeconds = Json.optionalLong(json, "ttlSeconds").orElse(0L);
    return onSuccess(
        kv.put(keyspace, key, value, options, consistency, ttlSeconds),
        result -> {
          ObjectNode node = Json.object();
          node.set("header", header(result.header()));
          result.prevKv().ifPresent(prev -> node.set("prevKv", keyValue(prev)));
          return complete(Json.ok(node));
        });
  }

  private Route range(String keyspace) {
    return parameterMap(
        params -> {
          Consistency consistency = Consistency.parse(params.get("consistency"), null);
          if (params.containsKey("prefix") == params.containsKey("from")) {
            throw KvException.invalid(
                "invalid_request", "give exactly one of the query parameters 'prefix' and 'from'");
          }
          RangeRequest request =
              new RangeRequest(
                  params.get("prefix"),
                  params.get("from"),
                  params.get("to"),
                  (int) Math.min(Integer.MAX_VALUE, longParam("limit", params.getOrDefault("limit", "0"))),
                  boolParam("keysOnly", Optional.ofNullable(params.get("keysOnly"))),
                  boolParam("countOnly", Optional.ofNullable(params.get("countOnly"))),
                  params.get("page"));
          return onSuccess(
              kv.range(keyspace, request, consistency),
              result -> {
                ObjectNode node = Json.object();
                ArrayNode kvs = node.putArray("kvs");
                result.kvs().forEach(k -> kvs.add(keyValue(k)));
                node.put("count", result.count());
                node.put("more", result.more());
                node.put("next", result.next());
                node.put("token", result.token());
                return complete(Json.ok(node));
              });
        });
  }

  private Route deletePrefix(String keyspace) {
    return parameter(
        "prefix",
        prefix ->
            parameterOptional(
                "prevKv",
                prevKv ->
                    onSuccess(
                        kv.deletePrefix(keyspace, prefix, boolParam("prevKv", prevKv)),
                        result -> complete(Json.ok(deleteResult(result))))));
  }

  private Route txn(String keyspace, JsonNode json) {
    TxnRequest request =
        new TxnRequest(
            list(json, "compare", KvRoutes::compare),
            list(json, "success", KvRoutes::txnOp),
            list(json, "failure", KvRoutes::txnOp));
    return onSuccess(
        kv.txn(keyspace, request),
        result -> {
          ObjectNode node = Json.object();
          node.set("header", header(result.header()));
          node.put("succeeded", result.succeeded());
          ArrayNode responses = node.putArray("responses");
          result.responses().forEach(r -> responses.add(txnOpResult(r)));
          // One per partition touched: several when the transaction ran a two-phase commit.
          ArrayNode headers = node.putArray("headers");
          result.headers().forEach(h -> headers.add(header(h)));
          return complete(Json.ok(node));
        });
  }

  private Route watch(String keyspace) {
    return parameterMap(
        params ->
            optionalHeaderValueByName(
                "Last-Event-ID",
                lastEventId -> {
                  if (params.containsKey("key") == params.containsKey("prefix")) {
                    throw KvException.invalid(
                        "invalid_request", "give exactly one of the query parameters 'key' and 'prefix'");
                  }
                  String from = lastEventId.orElse(params.get("from"));
                  WatchRequest request =
                      new WatchRequest(
                          params.get("key"),
                          params.get("prefix"),
                          from,
                          boolParam("prevKv", Optional.ofNullable(params.get("prevKv"))));
                  Source<WatchEvent, NotUsed> events = kv.watch(keyspace, request);
                  return sse(events.map(KvRoutes::watchEvent));
                }));
  }

  // Leases

  private Route leases() {
    return concat(
        pathEndOrSingleSlash(
            () ->
                HttpApi.named(
                    "/v1/leases",
                    () ->
                        post(
                            () ->
                                body(
                                    json -> {
                                      long ttl =
                                          Json.optionalLong(json, "ttlSeconds")
                                              .orElseThrow(
                                                  () -> Json.invalid("ttlSeconds", "is required"));
                                      return onSuccess(
                                          kv.grantLease(Duration.ofSeconds(ttl)),
                                          grant ->
                                              complete(
                                                  Json.response(
                                                      StatusCodes.CREATED,
                                                      Json.object()
                                                          .put("id", grant.id())
                                                          .put("ttlSeconds", grant.ttlSeconds()))));
                                    })))),
        path(
            PathMatchers.longSegment().slash("keepalive"),
            id ->
                HttpApi.named(
                    "/v1/leases/{id}/keepalive",
                    () -> post(() -> onSuccess(kv.keepAlive(id), info -> complete(Json.ok(lease(info))))))),
        path(
            PathMatchers.longSegment(),
            id ->
                HttpApi.named(
                    "/v1/leases/{id}",
                    () ->
                        concat(
                            get(() -> onSuccess(kv.lease(id), info -> complete(Json.ok(lease(info))))),
                            delete(
                                () ->
                                    onSuccess(
                                        kv.revokeLease(id),
                                        done -> complete(Json.ok(Json.object().put("revoked", id)))))))));
  }

  // Locks

  private Route locks() {
    return concat(
        path(
            PathMatchers.segment(),
            name ->
                HttpApi.named(
                    "/v1/locks/{name}",
                    () ->
                        post(
                            () ->
                                body(
                                    json ->
                                        onSuccess(
                                            kv.lock(name, ttl(json), waitFor(json)),
                                            lock ->
                                                complete(
                                                    Json.ok(
                                                        Json.object()
                                                            .put("name", lock.name())
                                                            .put("key", lock.key())
                                                            .put("lease", lock.lease())
                                                            .put("fencingToken", lock.fencingToken())))))))),
        path(
            PathMatchers.segment().slash(PathMatchers.remaining()),
            (name, rawKey) ->
                HttpApi.named(
                    "/v1/locks/{name}/{key}",
                    () ->
                        delete(
                            () ->
                                onSuccess(
                                    kv.unlock(name, PathKeys.decode(rawKey)),
                                    done -> complete(Json.ok(Json.object().put("released", true))))))));
  }

  // Elections

  private Route elections() {
    return concat(
        path(
            PathMatchers.segment().slash("campaign"),
            name ->
                HttpApi.named(
                    "/v1/elections/{name}/campaign",
                    () ->
                        post(
                            () ->
                                body(
                                    json ->
                                        onSuccess(
                                            kv.campaign(
                                                name, value(json, "value", "valueBase64"), ttl(json), waitFor(json)),
                                            leader -> complete(Json.ok(leader(leader)))))))),
        path(
            PathMatchers.segment().slash("proclaim"),
            name ->
                HttpApi.named(
                    "/v1/elections/{name}/proclaim",
                    () ->
                        post(
                            () ->
                                body(
                                    json ->
                                        onSuccess(
                                            kv.proclaim(
                                                leadership(name, json), value(json, "value", "valueBase64")),
                                            leader -> complete(Json.ok(leader(leader)))))))),
        path(
            PathMatchers.segment().slash("resign"),
            name ->
                HttpApi.named(
                    "/v1/elections/{name}/resign",
                    () ->
                        post(
                            () ->
                                body(
                                    json ->
                                        onSuccess(
                                            kv.resign(leadership(name, json)),
                                            done -> complete(Json.ok(Json.object().put("resigned", true)))))))),
        path(
            PathMatchers.segment().slash("observe"),
            name ->
                HttpApi.named(
                    "/v1/elections/{name}/observe",
                    () -> get(() -> sse(kv.observe(name).map(l -> event("leader", leader(l), null)))))),
        path(
            PathMatchers.segment(),
            name ->
                HttpApi.named(
                    "/v1/elections/{name}",
                    () -> get(() -> onSuccess(kv.leader(name), leader -> complete(Json.ok(leader(leader))))))));
  }

  private static Leader leadership(String election, JsonNode json) {
    return new Leader(
        election,
        Json.text(json, "key"),
        new byte[0],
        Json.optionalLong(json, "lease").orElseThrow(() -> Json.invalid("lease", "is required")),
        Json.optionalLong(json, "term").orElse(0L));
  }

  // JSON in


  private static byte[] value(JsonNode json, String textField, String base64Field) {
    Optional<String> text = Json.optionalText(json, textField);
    Optional<String> base64 = Json.optionalText(json, base64Field);
    if (text.isPresent() == base64.isPresent()) {
      throw Json.invalid(textField, "give exactly one of '" + textField + "' and '" + base64Field + "'");
    }
    return text.map(t -> t.getBytes(StandardCharsets.UTF_8))
        .orElseGet(() -> PathKeys.fromBase64(base64Field, base64.get()));
  }

  private static PutOptions putOptions(JsonNode json) {
    return new PutOptions(
        Json.optionalLong(json, "lease").orElse(0L),
        Json.optionalBoolean(json, "prevKv").orElse(false),
        Json.optionalBoolean(json, "ignoreLease").orElse(false));
  }

  private static Duration ttl(JsonNode json) {
    return Duration.ofSeconds(
        Json.optionalLong(json, "ttlSeconds").orElseThrow(() -> Json.invalid("ttlSeconds", "is required")));
  }

  private static Duration waitFor(JsonNode json) {
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

  private static Compare compare(JsonNode json) {
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
                      + targetName + "'");
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

  private static TxnOp txnOp(JsonNode json) {
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
    return KvException.invalid("malformed_txn", message);
  }

  private static long longParam(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw KvException.invalid("invalid_request", "query parameter '" + name + "' must be an integer");
    }
  }

  private static boolean boolParam(String name, Optional<String> value) {
    return value
        .map(
            v ->
                switch (v) {
                  case "true", "" -> true;
                  case "false" -> false;
                  default ->
                      throw KvException.invalid(
                          "invalid_request", "query parameter '" + name + "' must be true or false");
                })
        .orElse(false);
  }

  // JSON out

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

  private static ObjectNode info(KeyspaceInfo info) {
    return Json.object()
        .put("name", info.name())
        .put("mode", info.mode())
        .put("partitions", info.partitions())
        .put("createdAtMillis", info.createdAtMillis());
  }

  private static ArrayNode infos(List<KeyspaceInfo> all) {
    ArrayNode array = Json.MAPPER.createArrayNode();
    all.forEach(i -> array.add(info(i)));
    return array;
  }

  private static ObjectNode deleteResult(dev.cohort.kv.DeleteResult result) {
    ObjectNode node = Json.object().put("deleted", result.deleted());
    ArrayNode headers = node.putArray("headers");
    result.headers().forEach(h -> headers.add(header(h)));
    if (!result.prevKvs().isEmpty()) {
      ArrayNode prev = node.putArray("prevKvs");
      result.prevKvs().forEach(k -> prev.add(keyValue(k)));
    }
    return node.put("token", result.token());
  }

  private static ObjectNode txnOpResult(TxnOpResult result) {
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
    }
    return node;
  }

  private static ObjectNode lease(LeaseInfo info) {
    ObjectNode node =
        Json.object()
            .put("id", info.id())
            .put("grantedTtlSeconds", info.grantedTtlSeconds())
            .put("ttlSeconds", info.remainingSeconds());
    ArrayNode keys = node.putArray("keys");
    info.keys().forEach(k -> keys.add(Json.object().put("keyspace", k.keyspace()).put("key", k.key())));
    return node;
  }

  private static ObjectNode leader(Leader leader) {
    ObjectNode node = Json.object().put("election", leader.election()).put("key", leader.key());
    Optional<String> text = PathKeys.utf8(leader.value());
    if (text.isPresent()) {
      node.put("value", text.get());
    } else {
      node.put("valueBase64", PathKeys.base64(leader.value()));
    }
    return node.put("lease", leader.lease()).put("term", leader.term());
  }

  private static ServerSentEvent watchEvent(WatchEvent event) {
    ObjectNode node = Json.object().put("type", event.type().name().toLowerCase());
    node.set("kv", keyValue(event.kv()));
    if (event.prevKv() != null) {
      node.set("prevKv", keyValue(event.prevKv()));
    }
    node.set("header", header(event.header()));
    if (event.snapshot()) {
      node.put("snapshot", true);
    }
    return event(event.type().name().toLowerCase(), node, event.token());
  }

  private static ServerSentEvent event(String type, ObjectNode data, String id) {
    return ServerSentEvent.create(
        data.toString(), Optional.of(type), Optional.ofNullable(id), OptionalInt.empty());
  }

  /**
   * A server-sent event stream with keep-alive comments. A stream that fails after the response
   * started ends with an {@code error} event carrying the one error shape.
   */
  static Route sse(Source<ServerSentEvent, NotUsed> events) {
    return new AllDirectives() {}.completeOK(
        events
            .recover(new PFBuilder<Throwable, ServerSentEvent>().matchAny(KvRoutes::errorEvent).build())
            .keepAlive(SSE_KEEPALIVE, ServerSentEvent::heartbeat),
        EventStreamMarshalling.toEventStream());
  }

  private static ServerSentEvent errorEvent(Throwable failure) {
    Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    ObjectNode body = Json.object();
    ObjectNode error = body.putObject("error");
    if (e instanceof dev.cohort.persistence.CohortException c) {
      error.put("code", c.code()).put("message", c.getMessage());
    } else {
      error.put("code", "stream_failed").put("message", "the stream failed: " + e.getClass().getSimpleName());
    }
    return ServerSentEvent.create(body.toString(), "error");
  }
}
