package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.ap.ApEndpoints;
import dev.cohort.kv.ap.ApKeyspace;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.ApRepairResult;
import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP routes only AP keyspaces have: where a key's replicas are ({@code GET
 * /v1/kv/{ks}/endpoints?key=K}, as Cassandra's {@code nodetool getendpoints}) and an anti-entropy
 * repair run by the answering node ({@code POST /v1/kv/{ks}/repair}, as {@code nodetool repair}).
 * On a CP keyspace both answer 400 {@code not_supported_in_cp_mode}. Stateless.
 */
public final class ApRoutes extends JsonRoutes implements RouteGroup {
  private final Kv kv;
  private final ApKeyspaces ap;

  public ApRoutes(Kv kv, ApKeyspaces ap) {
    this.kv = kv;
    this.ap = ap;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/v1/kv/{ks}/endpoints",
            Guard.withQuery(
                Access.READ,
                (p, q) -> List.of(Resource.kv(p.get("ks"), q.getOrDefault("key", "")))),
            p ->
                parameterOptional(
                    "key",
                    key ->
                        onSuccess(
                            apKeyspace(p.get("ks"))
                                .thenApply(ks -> endpoints(ks.endpoints(key.orElse(null)))),
                            node -> complete(Json.ok(node))))),
        Endpoint.post(
            "/v1/kv/{ks}/repair",
            Guard.admin(p -> Resource.keyspace(p.get("ks"))),
            p ->
                onSuccess(
                    apKeyspace(p.get("ks")).thenCompose(ApKeyspace::repair),
                    result -> complete(Json.ok(repair(p.get("ks"), result))))));
  }

  /** The AP keyspace named {@code name}; fails for a CP keyspace or one that does not exist. */
  private CompletionStage<ApKeyspace> apKeyspace(String name) {
    return kv.keyspace(name)
        .thenApply(
            info -> {
              if (!"ap".equals(info.mode())) {
                throw KvError.NOT_SUPPORTED_IN_CP_MODE.exception(
                    "keyspace '"
                        + name
                        + "' is a CP keyspace: its keys live in partitions (see its stats), not on the AP ring;"
                        + " endpoints and repair are for AP keyspaces");
              }
              return ap.keyspace(info.name(), info.incarnation());
            });
  }

  private static ObjectNode endpoints(ApEndpoints e) {
    ObjectNode node =
        Json.object()
            .put("keyspace", e.keyspace())
            .put("key", e.key())
            .put("token", e.token())
            .put("replicationFactor", e.replicationFactor());
    ArrayNode replicas = node.putArray("endpoints");
    e.replicas()
        .forEach(r -> replicas.add(Json.object().put("node", r.node()).put("alive", r.alive())));
    return node;
  }

  private static ObjectNode repair(String keyspace, ApRepairResult r) {
    return Json.object()
        .put("keyspace", keyspace)
        .put("ranges", r.ranges())
        .put("rangesDiffering", r.rangesDiffering())
        .put("leavesDiffering", r.leavesDiffering())
        .put("entriesReceived", r.entriesReceived())
        .put("entriesSent", r.entriesSent())
        .put("replicasSkipped", r.replicasSkipped());
  }
}
