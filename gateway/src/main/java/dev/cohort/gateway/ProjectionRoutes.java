package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.ProjectionStatus;
import dev.cohort.saga.Projections;
import dev.cohort.security.Resource;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * CQRS projections over HTTP: {@code PUT /v1/projections/{name}} with the definition ({@code
 * {"source":{"topic":…},"sink":{"keyspace":…},"mode":"latest|count|sum","field":…,
 * "keyFrom":"key|field:<name>"}}; 201 when created, 200 when an equal one existed), {@code GET}
 * (state, offsets per source partition, lag), {@code DELETE}, {@code GET /v1/projections}, and
 * {@code POST /v1/projections/{name}/rebuild|stop|resume}. Errors are the {@code SagaException}
 * codes of {@link Projections}, in the gateway's error shape.
 */
public final class ProjectionRoutes extends JsonRoutes implements RouteGroup {
  private final Projections projections;

  public ProjectionRoutes(Projections projections) {
    this.projections = projections;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get("/v1/projections", Guard.read(p -> Resource.cluster()), p -> list()),
        Endpoint.post(
            "/v1/projections/{name}/rebuild",
            Guard.admin(p -> Resource.cluster()),
            p -> action(projections.rebuild(p.get("name")))),
        Endpoint.post(
            "/v1/projections/{name}/stop",
            Guard.admin(p -> Resource.cluster()),
            p -> action(projections.stop(p.get("name")))),
        Endpoint.post(
            "/v1/projections/{name}/resume",
            Guard.admin(p -> Resource.cluster()),
            p -> action(projections.resume(p.get("name")))),
        Endpoint.put(
            "/v1/projections/{name}",
            Guard.admin(p -> Resource.cluster()),
            p -> create(p.get("name"))),
        Endpoint.get(
            "/v1/projections/{name}",
            Guard.read(p -> Resource.cluster()),
            p -> onSuccess(projections.get(p.get("name")), s -> complete(Json.ok(s.toJsonTree())))),
        Endpoint.delete(
            "/v1/projections/{name}",
            Guard.admin(p -> Resource.cluster()),
            p -> delete(p.get("name"))));
  }

  private Route list() {
    return onSuccess(
        projections.list(),
        all -> {
          ObjectNode body = Json.object();
          ArrayNode list = body.putArray("projections");
          all.forEach(s -> list.add(s.toJsonTree()));
          return complete(Json.ok(body));
        });
  }

  /** Runs only when the endpoint's method matched: a GET never starts a rebuild. */
  private Route action(CompletionStage<ProjectionStatus> stage) {
    return onSuccess(stage, s -> complete(Json.ok(s.toJsonTree())));
  }

  private Route create(String name) {
    return entity(
        Unmarshaller.entityToString(),
        text ->
            onSuccess(
                projections.createJson(name, text),
                s ->
                    complete(
                        Json.response(
                            s.created() ? StatusCodes.CREATED : StatusCodes.OK, s.toJsonTree()))));
  }

  private Route delete(String name) {
    return onSuccess(
        projections.delete(name), done -> complete(Json.ok(Json.object().put("deleted", name))));
  }
}
