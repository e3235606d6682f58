package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.cluster.ClusterStatus;
import dev.cohort.cluster.MemberOperations;
import dev.cohort.security.Resource;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Cluster management in the manner of Pekko Management: {@code GET /v1/cluster/members/{address}}
 * describes one member; {@code PUT /v1/cluster/members/{address}} with {@code
 * {"operation":"leave"}} or {@code {"operation":"down"}} makes it leave gracefully or marks it
 * down. The address is a member's full address, {@code system@host:port} or {@code host:port}; an
 * unknown one is 404 {@code member_not_found}, an unknown operation 400 {@code unknown_operation}.
 * A PUT answers once the cluster manager has the request; the status changes when the leader acts.
 */
public final class MemberRoutes extends JsonRoutes implements RouteGroup {
  private final ActorSystem<?> system;
  private final MemberOperations operations;

  public MemberRoutes(ActorSystem<?> system) {
    this.system = system;
    this.operations = new MemberOperations(system);
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/v1/cluster/members/{address*}",
            Guard.read(p -> Resource.cluster()),
            p -> describe(p.get("address"))),
        Endpoint.put(
            "/v1/cluster/members/{address*}",
            Guard.admin(p -> Resource.cluster()),
            p -> operate(p.get("address"))));
  }

  private Route describe(String address) {
    ClusterStatus.MemberInfo member = operations.find(address);
    ClusterStatus status = ClusterStatus.of(system);
    ObjectNode body = Json.object();
    body.put("address", member.address());
    body.put("status", member.status());
    member.roles().forEach(body.putArray("roles")::add);
    body.put("reachable", member.reachable());
    body.put("leader", status.leader().map(member.address()::equals).orElse(false));
    body.put("oldest", status.oldest().map(member.address()::equals).orElse(false));
    return complete(Json.ok(body));
  }

  private Route operate(String address) {
    return body(
        json -> {
          MemberOperations.Operation operation =
              MemberOperations.Operation.parse(Json.text(json, "operation"));
          String target = operations.apply(address, operation);
          ObjectNode body = Json.object();
          body.put("address", target);
          body.put("operation", operation.text());
          body.put(
              "message",
              (operation == MemberOperations.Operation.LEAVE ? "Leaving " : "Downing ") + target);
          return complete(Json.ok(body));
        });
  }
}
