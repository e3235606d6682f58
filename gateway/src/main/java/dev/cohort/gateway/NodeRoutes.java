package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.cluster.ClusterStatus;
import dev.cohort.cluster.NodeHealth;
import dev.cohort.observability.Metrics;
import dev.cohort.security.Resource;
import dev.cohort.sharding.ShardPlacement;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The node's own endpoints: {@code GET /health/alive}, {@code GET /health/ready}, {@code GET
 * /v1/cluster} and {@code GET /metrics}.
 */
public final class NodeRoutes extends AllDirectives implements RouteGroup {
  private static final java.time.Duration SHARD_STATS_TIMEOUT = java.time.Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final NodeHealth health;
  private final Metrics metrics;

  public NodeRoutes(ActorSystem<?> system) {
    this.system = system;
    this.health = new NodeHealth(system);
    this.metrics = Metrics.get(system);
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/health/alive",
            Guard.open("liveness probe: says only that the process answers"),
            p -> alive()),
        Endpoint.get(
            "/health/ready",
            Guard.open("readiness probe for load balancers: membership and journal state"),
            p -> ready()),
        Endpoint.get("/v1/cluster", Guard.read(p -> Resource.cluster()), p -> cluster()),
        Endpoint.get("/v1/cluster/shards", Guard.read(p -> Resource.cluster()), p -> shards()),
        Endpoint.get(
            "/metrics",
            Guard.open("Prometheus scrapes without credentials; metrics carry no secrets"),
            p -> metrics()));
  }

  private Route alive() {
    ObjectNode body = Json.object();
    body.put("status", "alive");
    return complete(Json.ok(body));
  }

  private Route ready() {
    return onSuccess(
        health.readiness(),
        readiness -> {
          ObjectNode body = Json.object();
          body.put("ready", readiness.ready());
          body.put("memberStatus", readiness.memberStatus());
          body.put("journal", readiness.journalAnswers() ? "ok" : "not answering");
          body.put(
              "journalWrites",
              readiness
                  .journalWriteFailure()
                  .map(f -> "failing since " + f.since() + ": " + f.reason())
                  .orElse("ok"));
          return complete(
              Json.response(
                  readiness.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body));
        });
  }

  private Route cluster() {
    ClusterStatus status = ClusterStatus.of(system);
    ObjectNode body = Json.object();
    body.put("self", status.self());
    body.put("selfStatus", status.selfStatus());
    body.put("leader", status.leader().orElse(null));
    body.put("oldest", status.oldest().orElse(null));
    ArrayNode members = body.putArray("members");
    for (ClusterStatus.MemberInfo member : status.members()) {
      ObjectNode m = members.addObject();
      m.put("address", member.address());
      m.put("status", member.status());
      member.roles().forEach(m.putArray("roles")::add);
      m.put("reachable", member.reachable());
    }
    return complete(Json.ok(body));
  }

  private Route shards() {
    return onSuccess(
        ShardPlacement.of(system, SHARD_STATS_TIMEOUT),
        placements -> {
          ObjectNode body = Json.object();
          ArrayNode types = body.putArray("entityTypes");
          for (ShardPlacement placement : placements) {
            ObjectNode type = types.addObject().put("name", placement.entityType());
            ArrayNode nodes = type.putArray("nodes");
            for (ShardPlacement.NodeShards node : placement.nodes()) {
              ObjectNode n =
                  nodes
                      .addObject()
                      .put("address", node.address())
                      .put("shardCount", node.shards().size())
                      .put("entities", node.entities());
              node.shards().forEach(n.putArray("shards")::add);
            }
          }
          return complete(Json.ok(body));
        });
  }

  /** The Prometheus text format, or OpenMetrics (with exemplars) when the scraper asks for it. */
  private Route metrics() {
    return optionalHeaderValueByName(
        "Accept",
        accept -> {
          Metrics.Scrape scrape = metrics.scrape(accept.orElse(null));
          return complete(
              org.apache.pekko.http.javadsl.model.HttpResponse.create()
                  .withEntity(
                      HttpEntities.create(
                          ContentTypes.parse(scrape.contentType()),
                          scrape.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        });
  }
}
