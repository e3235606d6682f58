package dev.cohort.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.Attempt;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaSummary;
import dev.cohort.saga.Sagas;
import dev.cohort.saga.StepRecord;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Sagas over HTTP: JSON definitions ({@code /v1/sagas/definitions/{name}}), instances ({@code POST
 * /v1/sagas/{definition}/instances}, {@code /v1/sagas/instances/…}) and a server-sent event stream
 * of instance updates ({@code GET /v1/sagas/updates}). Contexts, inputs and step outputs are JSON
 * documents and are returned as such.
 */
public final class SagaRoutes extends JsonRoutes implements RouteGroup {
  private final Sagas sagas;

  public SagaRoutes(Sagas sagas) {
    this.sagas = sagas;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/v1/sagas/definitions",
            Guard.read(p -> Resource.all(ResourceType.SAGA)),
            p -> listDefinitions()),
        Endpoint.put(
            "/v1/sagas/definitions/{name}",
            Guard.admin(p -> Resource.saga(p.get("name"))),
            p -> define(p.get("name"))),
        Endpoint.get(
            "/v1/sagas/definitions/{name}",
            Guard.read(p -> Resource.saga(p.get("name"))),
            p -> onSuccess(sagas.definition(p.get("name")), d -> complete(Json.ok(definition(d))))),
        Endpoint.delete(
            "/v1/sagas/definitions/{name}",
            Guard.admin(p -> Resource.saga(p.get("name"))),
            p -> deleteDefinition(p.get("name"))),
        Endpoint.get(
            "/v1/sagas/instances",
            Guard.read(p -> Resource.all(ResourceType.SAGA)),
            p -> listInstances()),
        Endpoint.post(
            "/v1/sagas/instances/{id}/retry",
            Guard.write(p -> Resource.all(ResourceType.SAGA)),
            p -> onSuccess(sagas.retry(p.get("id")), i -> complete(Json.ok(instance(i))))),
        Endpoint.post(
            "/v1/sagas/instances/{id}/resolve",
            Guard.write(p -> Resource.all(ResourceType.SAGA)),
            p -> body(json -> resolve(p.get("id"), json))),
        Endpoint.get(
            "/v1/sagas/instances/{id}",
            Guard.read(p -> Resource.all(ResourceType.SAGA)),
            p -> onSuccess(sagas.get(p.get("id")), i -> complete(Json.ok(instance(i))))),
        Endpoint.get(
            "/v1/sagas/updates", Guard.read(p -> Resource.all(ResourceType.SAGA)), p -> updates()),
        Endpoint.post(
            "/v1/sagas/{definition}/instances",
            Guard.write(p -> Resource.saga(p.get("definition"))),
            p -> body(json -> start(p.get("definition"), json))));
  }

  private Route updates() {
    return Sse.stream(
        sagas
            .updates()
            .map(
                u ->
                    ServerSentEvent.create(
                        Json.MAPPER.valueToTree(update(u)).toString(),
                        Optional.of(u.event()),
                        Optional.empty(),
                        OptionalInt.empty())));
  }

  private Route listDefinitions() {
    return onSuccess(
        sagas.definitions(),
        all -> {
          ObjectNode body = Json.object();
          ArrayNode list = body.putArray("definitions");
          all.forEach(d -> list.add(definition(d)));
          return complete(Json.ok(body));
        });
  }

  private Route define(String name) {
    return entity(
        Unmarshaller.entityToString(),
        text -> onSuccess(sagas.defineJson(name, text), d -> complete(Json.ok(definition(d)))));
  }

  private Route deleteDefinition(String name) {
    return onSuccess(
        sagas.deleteDefinition(name),
        done -> complete(Json.ok(Json.object().put("deleted", name))));
  }

  private Route listInstances() {
    return parameterOptional(
        "definition",
        definition ->
            parameterOptional(
                "state",
                state ->
                    onSuccess(
                        sagas.list(definition, state.map(SagaRoutes::state)),
                        all -> {
                          ObjectNode body = Json.object();
                          ArrayNode list = body.putArray("instances");
                          all.forEach(s -> list.add(summary(s)));
                          return complete(Json.ok(body));
                        })));
  }

  private Route resolve(String id, JsonNode json) {
    return onSuccess(
        sagas.resolve(id, Json.text(json, "reason")), i -> complete(Json.ok(instance(i))));
  }

  private Route start(String definition, JsonNode json) {
    String id = Json.optionalText(json, "id").orElse(null);
    JsonNode input = json.get("input");
    if (input != null && !input.isNull() && !input.isObject()) {
      throw Json.invalid("input", "must be a JSON object");
    }
    String inputJson = input == null || input.isNull() ? "{}" : input.toString();
    return onSuccess(
        sagas.startJson(definition, id, inputJson),
        result ->
            complete(
                Json.response(
                    result.created() ? StatusCodes.CREATED : StatusCodes.OK,
                    instance(result.instance()))));
  }

  private static SagaState state(String text) {
    try {
      return SagaState.valueOf(text.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw SagaError.INVALID_REQUEST.exception(
          "state must be one of running, compensating, completed, "
              + "compensated, compensation_failed, resolved; got '"
              + text
              + "'");
    }
  }

  private static ObjectNode definition(SagaDefinition d) {
    ObjectNode node = Json.object().put("name", d.name()).put("version", d.version());
    node.set("definition", document(d.toJson()));
    return node;
  }

  private static ObjectNode summary(SagaSummary s) {
    return Json.object()
        .put("id", s.id())
        .put("definition", s.definition())
        .put("version", s.version())
        .put("state", s.state().name())
        .put("updatedAt", s.updatedAt().toString());
  }

  private static ObjectNode instance(SagaInstance i) {
    ObjectNode node =
        Json.object()
            .put("id", i.id())
            .put("definition", i.definition())
            .put("version", i.version())
            .put("state", i.state().name())
            .put("startedAt", i.startedAt().toString())
            .put("updatedAt", i.updatedAt().toString());
    node.set("input", document(i.input()));
    node.set("context", document(i.context()));
    i.deadline().ifPresent(d -> node.put("deadline", d.toString()));
    i.error().ifPresent(e -> node.put("error", e));
    i.resolution().ifPresent(r -> node.put("resolution", r));
    ArrayNode steps = node.putArray("steps");
    for (StepRecord step : i.steps()) {
      ObjectNode s = steps.addObject().put("name", step.name()).put("status", step.status().name());
      step.output().ifPresent(o -> s.set("output", document(o)));
      step.error().ifPresent(e -> s.put("error", e));
      ArrayNode attempts = s.putArray("attempts");
      for (Attempt a : step.attempts()) {
        ObjectNode attempt =
            attempts
                .addObject()
                .put("phase", a.phase().name())
                .put("number", a.number())
                .put("startedAt", a.startedAt().toString())
                .put("outcome", a.outcome().name())
                .put("retryable", a.retryable());
        a.finishedAt().ifPresent(f -> attempt.put("finishedAt", f.toString()));
        a.error().ifPresent(e -> attempt.put("error", e));
      }
    }
    return node;
  }

  private static ObjectNode update(dev.cohort.saga.SagaUpdate u) {
    ObjectNode node =
        Json.object()
            .put("id", u.id())
            .put("definition", u.definition())
            .put("event", u.event())
            .put("state", u.state().name())
            .put("attempt", u.attempt())
            .put("at", u.at().toString());
    u.step().ifPresent(s -> node.put("step", s));
    u.error().ifPresent(e -> node.put("error", e));
    return node;
  }

  /** A stored JSON document as a tree (stored documents are always valid JSON). */
  private static JsonNode document(String json) {
    try {
      return json == null ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      return Json.MAPPER.getNodeFactory().textNode(json);
    }
  }
}
