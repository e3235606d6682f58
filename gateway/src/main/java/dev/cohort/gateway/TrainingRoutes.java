package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingJobs;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.compute.ComputeKind;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Training jobs over HTTP: {@code POST /v1/training/jobs} submits a job described as in the issue
 * ({@code name, model, dataset, workers, backend, epochs, batchSize, optimizer, seed,
 * checkpointEverySteps, bucketCapMb}); {@code GET /v1/training/jobs/{id}} reports its state,
 * progress, losses, workers (id, the backend their generation runs on, device "cpu" or "cuda:N"),
 * recoveries and latest checkpoint; {@code DELETE} cancels it; {@code GET /v1/training/jobs} lists
 * every job (id, name, state, epoch, step, workers).
 */
public final class TrainingRoutes extends JsonRoutes implements RouteGroup {
  private final TrainingJobs jobs;

  public TrainingRoutes(TrainingJobs jobs) {
    this.jobs = jobs;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.post(
            "/v1/training/jobs",
            Guard.write(p -> Resource.all(ResourceType.TRAINING)),
            p -> body(this::submit)),
        Endpoint.get(
            "/v1/training/jobs",
            Guard.read(p -> Resource.all(ResourceType.TRAINING)),
            p -> onSuccess(jobs.list(), list -> complete(Json.ok(list(list))))),
        Endpoint.get(
            "/v1/training/jobs/{id}",
            Guard.read(p -> Resource.training(p.get("id"))),
            p -> onSuccess(jobs.get(p.get("id")), s -> complete(Json.ok(status(s))))),
        Endpoint.delete(
            "/v1/training/jobs/{id}",
            Guard.write(p -> Resource.training(p.get("id"))),
            p -> onSuccess(jobs.cancel(p.get("id")), s -> complete(Json.ok(status(s))))));
  }

  private Route submit(JsonNode json) {
    String id = Json.optionalText(json, "id").orElse(UUID.randomUUID().toString());
    TrainingJobSpec spec = spec(json);
    return onSuccess(
        jobs.submit(id, spec),
        status -> complete(Json.response(StatusCodes.CREATED, status(status))));
  }

  /**
   * Reads the job description; every rule is checked by the spec records and named in the error.
   */
  static TrainingJobSpec spec(JsonNode json) {
    JsonNode model = object(json, "model");
    String type = Json.optionalText(model, "type").orElse("mlp");
    if (!type.equals("mlp")) {
      throw TrainingError.INVALID_MODEL.exception("model.type must be mlp, not '" + type + "'");
    }
    String activation = Json.optionalText(model, "activation").orElse("relu");
    if (!activation.equals("relu")) {
      throw TrainingError.INVALID_MODEL.exception(
          "model.activation must be relu, not '" + activation + "'");
    }
    JsonNode layersNode = model.get("layers");
    if (layersNode == null || !layersNode.isArray()) {
      throw Json.invalid("model.layers", "must be an array of layer widths");
    }
    List<Integer> layers = new ArrayList<>();
    for (JsonNode width : layersNode) {
      if (!width.isIntegralNumber() || !width.canConvertToInt()) {
        throw Json.invalid("model.layers", "must contain only integers, got " + width);
      }
      layers.add(width.intValue());
    }
    JsonNode dataset = object(json, "dataset");
    JsonNode workers = json.has("workers") ? object(json, "workers") : Json.object();
    JsonNode optimizer = json.has("optimizer") ? object(json, "optimizer") : Json.object();
    String backend = Json.optionalText(json, "backend").orElse("auto");
    return new TrainingJobSpec(
        Json.text(json, "name"),
        new MlpSpec(layers),
        Json.text(dataset, "topic"),
        integer(workers, "min", 1),
        integer(workers, "max", integer(workers, "min", 1)),
        Backend.parse(backend),
        integer(json, "epochs", 1),
        integer(json, "batchSize", 32),
        new OptimizerSpec(
            Json.optionalText(optimizer, "type").orElse("sgd"),
            (float) number(optimizer, "lr", 0.01),
            (float) number(optimizer, "momentum", 0.0)),
        Json.optionalLong(json, "seed").orElse(0L),
        integer(json, "checkpointEverySteps", 100),
        integer(json, "bucketCapMb", 25),
        ComputeKind.parse(Json.optionalText(json, "compute").orElse("auto")));
  }

  private static JsonNode object(JsonNode json, String field) {
    JsonNode node = json.get(field);
    if (node == null || !node.isObject()) {
      throw Json.invalid(field, "is required and must be an object");
    }
    return node;
  }

  private static int integer(JsonNode json, String field, int defaultValue) {
    long value = Json.optionalLong(json, field).orElse((long) defaultValue);
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw Json.invalid(field, "is out of range");
    }
    return (int) value;
  }

  private static double number(JsonNode json, String field, double defaultValue) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return defaultValue;
    }
    if (!node.isNumber()) {
      throw Json.invalid(field, "must be a number");
    }
    return node.doubleValue();
  }

  /** {@code {"jobs":[{"id","name","state","epoch","step","workers"}]}}, in submission order. */
  private static ObjectNode list(List<JobStatus> statuses) {
    ObjectNode node = Json.object();
    ArrayNode items = node.putArray("jobs");
    for (JobStatus s : statuses) {
      ObjectNode item = items.addObject().put("id", s.jobId());
      s.spec().ifPresent(spec -> item.put("name", spec.name()));
      item.put("state", s.phase().name()).put("epoch", s.epoch()).put("step", s.step());
      ArrayNode workers = item.putArray("workers");
      s.members().forEach(workers::add);
    }
    return node;
  }

  private static ObjectNode status(JobStatus s) {
    ObjectNode node =
        Json.object()
            .put("id", s.jobId())
            .put("state", s.phase().name())
            .put("generation", s.generation())
            .put("epoch", s.epoch())
            .put("step", s.step())
            .put("samplesPerSecond", s.samplesPerSecond())
            .put("recoveryCount", s.recoveries());
    s.spec()
        .ifPresent(
            spec ->
                node.put("name", spec.name())
                    .put("backend", spec.backend().name().toLowerCase())
                    .put("compute", spec.compute().id()));
    s.reason().ifPresent(r -> node.put("reason", r));
    ArrayNode workers = node.putArray("workers");
    s.workers()
        .forEach(
            w ->
                workers
                    .addObject()
                    .put("id", w.workerId())
                    .put("backend", w.backend())
                    .put("device", w.device())
                    .put("compute", w.compute()));
    ArrayNode losses = node.putArray("losses");
    s.losses().forEach(p -> losses.addObject().put("step", p.step()).put("loss", p.loss()));
    ArrayNode recoveries = node.putArray("recoveries");
    s.recoveryLog()
        .forEach(
            r ->
                recoveries
                    .addObject()
                    .put("generation", r.generation())
                    .put("reason", r.reason())
                    .put("startedAt", r.startedAt().toString())
                    .put("durationMs", r.durationMs())
                    .put("resumedFromStep", r.resumedFromStep())
                    .put("resumedFrom", r.resumedFrom()));
    s.checkpoint()
        .ifPresent(
            c ->
                node.putObject("checkpoint")
                    .put("generation", c.generation())
                    .put("epoch", c.epoch())
                    .put("step", c.step())
                    .put("chunks", c.chunks())
                    .put("bytes", c.bytes())
                    .put("savedAt", c.savedAt().toString()));
    return node;
  }
}
