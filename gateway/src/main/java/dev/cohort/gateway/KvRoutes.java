package dev.cohort.gateway;

import static dev.cohort.gateway.KvJson.boolParam;
import static dev.cohort.gateway.KvJson.deleteResult;
import static dev.cohort.gateway.KvJson.header;
import static dev.cohort.gateway.KvJson.keyValue;
import static dev.cohort.gateway.KvJson.lease;
import static dev.cohort.gateway.KvJson.longParam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.gateway.PathTemplate.PathParams;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The kv service over HTTP: keyspaces ({@code /v1/keyspaces}), keys, ranges, transactions and
 * watches ({@code /v1/kv/{ks}/…}), leases ({@code /v1/leases}), locks ({@code /v1/locks}) and
 * elections ({@code /v1/elections}). Each endpoint is declared once in {@link #route()}; the JSON
 * codec is {@link KvJson}. Watches and election observers are server-sent events whose {@code id:}
 * is a resume token. Every error is a {@link KvException} rendered in the gateway's one error
 * shape.
 */
public final class KvRoutes extends JsonRoutes implements RouteGroup {
  private static final String AP = "ap";

  private final Kv kv;
  private final ApKeyspaces ap;

  /** {@code ap}: the node's AP keyspaces, for replication factors (the same as {@code kv} uses). */
  public KvRoutes(Kv kv, ApKeyspaces ap) {
    this.kv = kv;
    this.ap = ap;
  }

  /**
   * Locks, elections and lease revocation touch keys whose keyspace and names the kv service
   * chooses (or, for a lease, every key attached to it): they need the access on every keyspace.
   */
  private static final Guard ALL_KV_WRITE = Guard.write(p -> Resource.all(ResourceType.KV));

  private static final Guard ALL_KV_READ = Guard.read(p -> Resource.all(ResourceType.KV));

  /** One key: the key is its own prefix. */
  static Resource key(PathParams p) {
    return Resource.kv(p.get("ks"), p.get("key"));
  }

  /** A range or prefix delete: its {@code prefix}, or every key when it is given by from/to. */
  static List<Resource> rangeResources(PathParams p, Map<String, String> query) {
    boolean bounded = query.containsKey("from") || query.containsKey("to");
    String prefix = bounded ? "" : query.getOrDefault("prefix", "");
    return List.of(Resource.kv(p.get("ks"), prefix));
  }

  /** A watch of one {@code key} or a {@code prefix}; every key when neither is given. */
  static List<Resource> watchResources(PathParams p, Map<String, String> query) {
    String key = query.getOrDefault("key", query.getOrDefault("prefix", ""));
    return List.of(Resource.kv(p.get("ks"), key));
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/v1/keyspaces", Guard.read(p -> Resource.all(ResourceType.KV)), p -> listKeyspaces()),
        Endpoint.put(
            "/v1/keyspaces/{ks}",
            Guard.admin(p -> Resource.keyspace(p.get("ks"))),
            p -> body(json -> createKeyspace(p.get("ks"), json))),
        Endpoint.get(
            "/v1/keyspaces/{ks}",
            Guard.read(p -> Resource.keyspace(p.get("ks"))),
            p -> keyspaceStats(p.get("ks"))),
        Endpoint.delete(
            "/v1/keyspaces/{ks}",
            Guard.admin(p -> Resource.keyspace(p.get("ks"))),
            p -> deleteKeyspace(p.get("ks"))),
        Endpoint.get(
            "/v1/kv/{ks}/keys",
            Guard.withQuery(Access.READ, KvRoutes::rangeResources),
            p -> range(p.get("ks"))),
        Endpoint.delete(
            "/v1/kv/{ks}/keys",
            Guard.withQuery(Access.WRITE, KvRoutes::rangeResources),
            p -> deletePrefix(p.get("ks"))),
        Endpoint.put("/v1/kv/{ks}/keys/{key*}", Guard.write(KvRoutes::key), this::putKey),
        Endpoint.get("/v1/kv/{ks}/keys/{key*}", Guard.read(KvRoutes::key), this::getKey),
        Endpoint.delete("/v1/kv/{ks}/keys/{key*}", Guard.write(KvRoutes::key), this::deleteKey),
        Endpoint.post(
            "/v1/kv/{ks}/txn",
            Guard.write(p -> Resource.keyspace(p.get("ks"))),
            p -> body(json -> txn(p.get("ks"), json))),
        Endpoint.get(
            "/v1/kv/{ks}/watch",
            Guard.withQuery(Access.READ, KvRoutes::watchResources),
            p -> watch(p.get("ks"))),
        Endpoint.post("/v1/leases", Guard.authenticated(), p -> body(this::grantLease)),
        Endpoint.get("/v1/leases", Guard.authenticated(), p -> listLeases()),
        Endpoint.post(
            "/v1/leases/{id:long}/keepalive",
            Guard.authenticated(),
            p -> keepAlive(p.getLong("id"))),
        Endpoint.get(
            "/v1/leases/{id:long}", Guard.authenticated(), p -> leaseInfo(p.getLong("id"))),
        Endpoint.delete("/v1/leases/{id:long}", ALL_KV_WRITE, p -> revokeLease(p.getLong("id"))),
        Endpoint.post(
            "/v1/locks/{name}", ALL_KV_WRITE, p -> body(json -> lock(p.get("name"), json))),
        Endpoint.delete(
            "/v1/locks/{name}/{key*}", ALL_KV_WRITE, p -> unlock(p.get("name"), p.get("key"))),
        Endpoint.post(
            "/v1/elections/{name}/campaign",
            ALL_KV_WRITE,
            p -> body(json -> campaign(p.get("name"), json))),
        Endpoint.post(
            "/v1/elections/{name}/proclaim",
            ALL_KV_WRITE,
            p -> body(json -> proclaim(p.get("name"), json))),
        Endpoint.post(
            "/v1/elections/{name}/resign",
            ALL_KV_WRITE,
            p -> body(json -> resign(p.get("name"), json))),
        Endpoint.get("/v1/elections/{name}/observe", ALL_KV_READ, p -> observe(p.get("name"))),
        Endpoint.get("/v1/elections/{name}", ALL_KV_READ, p -> currentLeader(p.get("name"))));
  }

  // Keyspaces

  private Route listKeyspaces() {
    return onSuccess(
        kv.keyspaces(), all -> complete(Json.ok(Map.of("keyspaces", KvJson.infos(all)))));
  }

  /** Without {@code partitions} the keyspace gets {@code cohort.kv.default-partitions}. */
  private Route createKeyspace(String name, JsonNode json) {
    String mode = Json.optionalText(json, "mode").orElse("cp");
    Optional<Long> partitions = Json.optionalLong(json, "partitions");
    if (partitions.isPresent() && (partitions.get() < 1 || partitions.get() > Integer.MAX_VALUE)) {
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
    KeyspaceSpec spec = new KeyspaceSpec(mode, partitions.map(Math::toIntExact).orElse(0));
    return onSuccess(
        kv.createKeyspace(name, spec).thenCompose(info -> described(info, (int) rf)),
        node ->
            complete(
                Json.response(
                    node.get("created").asBoolean() ? StatusCodes.CREATED : StatusCodes.OK,
                    node.without("created"))));
  }

  /**
   * The keyspace as JSON; for an AP keyspace with its replication factor, recorded now when the
   * keyspace was just created ({@code rf} 0: the default, min(3, cluster size)).
   */
  private CompletionStage<ObjectNode> described(KeyspaceInfo info, int rf) {
    ObjectNode node = KvJson.info(info).put("created", info.created());
    if (!AP.equals(info.mode())) {
      return CompletableFuture.completedFuture(node);
    }
    return ap.configure(info.name(), info.incarnation(), rf)
        .thenApply(recorded -> node.put("replicationFactor", recorded));
  }

  private Route keyspaceStats(String name) {
    return onSuccess(
        kv.keyspaceStats(name),
        stats -> {
          ObjectNode node = KvJson.info(stats.info());
          if (AP.equals(stats.info().mode())) {
            node.put(
                "replicationFactor",
                ap.keyspace(name, stats.info().incarnation()).replicationFactor());
          }
          node.put("keys", stats.keys());
          node.put("bytes", stats.bytes());
          node.put("token", stats.token());
          return complete(Json.ok(node));
        });
  }

  private Route deleteKeyspace(String name) {
    return onSuccess(
        kv.deleteKeyspace(name), done -> complete(Json.ok(Json.object().put("deleted", name))));
  }

  // Keys, ranges, transactions, watches

  /**
   * The request's {@code ?consistency=one|quorum|all} for AP keyspaces (absent: the configured
   * default); CP keyspaces are linearizable per partition whatever it says.
   */
  private Route consistency(Function<Consistency, Route> inner) {
    return parameterOptional(
        "consistency", text -> inner.apply(Consistency.parse(text.orElse(null), null)));
  }

  private Route putKey(PathParams p) {
    return consistency(
        c ->
            body(
                json ->
                    onSuccess(
                        kv.put(
                            p.get("ks"),
                            p.get("key"),
                            KvJson.value(json, "value", "valueBase64"),
                            KvJson.putOptions(json),
                            c,
                            Json.optionalLong(json, "ttlSeconds").orElse(0L)),
                        result -> {
                          ObjectNode node = Json.object();
                          node.set("header", header(result.header()));
                          result.prevKv().ifPresent(prev -> node.set("prevKv", keyValue(prev)));
                          return complete(Json.ok(node));
                        })));
  }

  private Route getKey(PathParams p) {
    return parameterOptional(
        "revision",
        revision ->
            consistency(
                c ->
                    onSuccess(
                        revision.isPresent()
                            ? kv.get(
                                p.get("ks"), p.get("key"), longParam("revision", revision.get()))
                            : kv.get(p.get("ks"), p.get("key"), c),
                        result -> {
                          ObjectNode node = Json.object();
                          node.set("header", header(result.header()));
                          node.set("kv", keyValue(result.kv()));
                          return complete(Json.ok(node));
                        })));
  }

  private Route deleteKey(PathParams p) {
    return parameterOptional(
        "prevKv",
        prevKv ->
            consistency(
                c ->
                    onSuccess(
                        kv.delete(p.get("ks"), p.get("key"), boolParam("prevKv", prevKv), c),
                        result -> complete(Json.ok(deleteResult(result))))));
  }

  private Route range(String keyspace) {
    return parameterMap(
        params ->
            onSuccess(
                kv.range(
                    keyspace,
                    KvJson.rangeRequest(params),
                    Consistency.parse(params.get("consistency"), null)),
                result -> complete(Json.ok(KvJson.rangeResult(result)))));
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
    TxnRequest request = KvJson.txnRequest(json);
    return onSuccess(
        kv.txn(keyspace, request), result -> complete(Json.ok(KvJson.txnResult(result))));
  }

  private Route watch(String keyspace) {
    return parameterMap(
        params ->
            optionalHeaderValueByName(
                "Last-Event-ID",
                lastEventId -> {
                  WatchRequest request = KvJson.watchRequest(params, lastEventId);
                  return extractMaterializer(
                      materializer -> {
                        // Started before the response, which waits until the watch is established:
                        // its 200 then means that a change the client makes after reading it is in
                        // the stream, and a refused keyspace is a plain 404 instead of an event.
                        Pair<CompletionStage<Done>, Source<WatchEvent, NotUsed>> started =
                            kv.watch(keyspace, request).preMaterialize(materializer);
                        CompletionStage<Done> established =
                            started
                                .first()
                                .whenComplete(
                                    (done, failure) -> {
                                      if (failure != null) {
                                        started.second().runWith(Sink.cancelled(), materializer);
                                      }
                                    });
                        return onSuccess(
                            established,
                            done -> Sse.stream(started.second().map(KvJson::watchEvent)));
                      });
                }));
  }

  // Leases

  private Route grantLease(JsonNode json) {
    Duration ttl = KvJson.ttl(json);
    return onSuccess(
        kv.grantLease(ttl),
        grant ->
            complete(
                Json.response(
                    StatusCodes.CREATED,
                    Json.object().put("id", grant.id()).put("ttlSeconds", grant.ttlSeconds()))));
  }

  private Route keepAlive(long id) {
    return onSuccess(kv.keepAlive(id), info -> complete(Json.ok(lease(info))));
  }

  private Route leaseInfo(long id) {
    return onSuccess(kv.lease(id), info -> complete(Json.ok(lease(info))));
  }

  private Route listLeases() {
    return onSuccess(
        kv.leases(),
        ids -> {
          ObjectNode out = Json.object();
          ArrayNode array = out.putArray("leases");
          ids.forEach(array::add);
          return complete(Json.ok(out));
        });
  }

  private Route revokeLease(long id) {
    return onSuccess(
        kv.revokeLease(id), done -> complete(Json.ok(Json.object().put("revoked", id))));
  }

  // Locks

  private Route lock(String name, JsonNode json) {
    return onSuccess(
        kv.lock(name, KvJson.ttl(json), KvJson.waitFor(json)),
        lock ->
            complete(
                Json.ok(
                    Json.object()
                        .put("name", lock.name())
                        .put("key", lock.key())
                        .put("lease", lock.lease())
                        .put("fencingToken", lock.fencingToken()))));
  }

  private Route unlock(String name, String key) {
    return onSuccess(
        kv.unlock(name, key), done -> complete(Json.ok(Json.object().put("released", true))));
  }

  // Elections

  private Route campaign(String name, JsonNode json) {
    return onSuccess(
        kv.campaign(
            name,
            KvJson.value(json, "value", "valueBase64"),
            KvJson.ttl(json),
            KvJson.waitFor(json)),
        leader -> complete(Json.ok(KvJson.leader(leader))));
  }

  private Route proclaim(String name, JsonNode json) {
    return onSuccess(
        kv.proclaim(KvJson.leadership(name, json), KvJson.value(json, "value", "valueBase64")),
        leader -> complete(Json.ok(KvJson.leader(leader))));
  }

  private Route resign(String name, JsonNode json) {
    return onSuccess(
        kv.resign(KvJson.leadership(name, json)),
        done -> complete(Json.ok(Json.object().put("resigned", true))));
  }

  private Route observe(String name) {
    return Sse.stream(kv.observe(name).map(l -> Sse.event("leader", KvJson.leader(l), null)));
  }

  private Route currentLeader(String name) {
    return onSuccess(kv.leader(name), leader -> complete(Json.ok(KvJson.leader(leader))));
  }
}
