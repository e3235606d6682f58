package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.ProjectionStatus;
import dev.cohort.saga.Projections;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
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
public final class ProjectionRoutes extends JsonRoutes {
  private final Projections projections;

  public ProjectionRoutes(Projections projections) {
    this.projections = projections;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("v1").slash("projections"),
        () ->
            concat(
                pathEndOrSingleSlash(
                    () -> HttpApi.named("/v1/projections", () -> get(this::list))),
                path(PathMatchers.segment().slash("rebuild"),
                    name -> action("/v1/projections/{name}/rebuild", projections.rebuild(name))),
                path(PathMatchers.segment().slash("stop"),
                    name -> action("/v1/projections/{name}/stop", projections.stop(name))),
                path(PathMatchers.segment().slash("resume"),
                    name -> action("/v1/projections/{name}/resume", projections.resume(name))),
                path(PathMatchers.segment(), this::projection)));
  }

  private Route list() {
    return onSuccess(projections.list(), all -> {
      ObjectNode body = Json.object();
      ArrayNode list = body.putArray("projections");
      all.forEach(s -> list.add(s.toJsonTree()));
      return complete(Json.ok(body));
    });
  }

  private Route action(String template, CompletionStage<ProjectionStatus> stage) {
    return HttpApi.named(template,
        () -> post(() -> onSuccess(stage, s -> complete(Json.ok(s.toJsonTree())))));
  }

  private Route projection(String name) {
    return HttpApi.named(
        "/v1/projections/{name}",
        () ->
            concat(
                put(() -> entity(Unmarshaller.entityToString(), text -> onSuccess(
                    projections.createJson(name, text),
                    s -> complete(Json.response(
                        s.created() ? StatusCodes.CREATED : StatusCodes.OK, s.toJsonTree()))))),
                get(() -> onSuccess(projections.get(name),
                    s -> complete(Json.ok(s.toJsonTree())))),
                delete(() -> onSuccess(projections.delete(name),
                    done -> complete(Json.ok(Json.object().put("deleted", name)))))));
  }
}
