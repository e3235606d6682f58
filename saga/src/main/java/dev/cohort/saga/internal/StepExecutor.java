package dev.cohort.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.kv.Compare;
import dev.cohort.kv.Kv;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.StreamLog;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaFunction;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.StepAction;
import dev.cohort.saga.StepContext;
import dev.cohort.saga.StepFailure;
import dev.cohort.saga.StepPhase;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs one attempt of a step's action or compensation and classifies its outcome. Never blocks the
 * caller: every kind completes a stage on another thread (the JDK HTTP client's, the kv and log
 * services', or the blocking dispatcher for blocking java functions), which the instance entity
 * pipes back to itself. Every attempt is bounded by the step's timeout. Thread-safe.
 */
public final class StepExecutor {

  /** An attempt's outcome: an output (JSON object text) or an error and whether to retry. */
  public record Result(boolean succeeded, String output, String error, boolean retryable) {
    static Result ok(String output) {
      return new Result(true, output, "", false);
    }

    static Result failed(String error, boolean retryable) {
      return new Result(false, "", error, retryable);
    }
  }

  private final Map<String, SagaFunction> functions = new ConcurrentHashMap<>();
  private final Kv kv;
  private final StreamLog log;
  private final HttpClient http;
  private final Executor blocking;
  private final SagaSettings settings;
  private final Tracing tracing;

  public StepExecutor(
      Kv kv, StreamLog log, Executor blocking, SagaSettings settings, Tracing tracing) {
    this.tracing = tracing;
    this.kv = kv;
    this.log = log;
    this.blocking = blocking;
    this.settings = settings;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.httpConnectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public void register(String name, SagaFunction function) {
    functions.put(name, function);
  }

  public void registerBlocking(String name, Function<StepContext, Map<String, Object>> function) {
    functions.put(name, ctx -> CompletableFuture.supplyAsync(() -> function.apply(ctx), blocking));
  }

  public boolean hasFunction(String name) {
    return functions.containsKey(name);
  }

  /** The idempotency key of a step phase: the same for every attempt and across restarts. */
  public static String idempotencyKey(String sagaId, String step, StepPhase phase) {
    return sagaId + ":" + step + ":" + phase.label();
  }

  /** Runs attempt {@code attempt} of step {@code index}; the stage never fails. */
  public CompletionStage<Result> run(
      String sagaId,
      SagaDefinition definition,
      int index,
      StepPhase phase,
      int attempt,
      String contextJson) {
    SagaStep step = definition.steps().get(index);
    StepAction action =
        phase == StepPhase.ACTION ? step.action() : step.compensation().orElseThrow();
    long timeoutMs =
        step.timeoutMs() > 0 ? step.timeoutMs() : settings.defaultStepTimeout().toMillis();
    String key = idempotencyKey(sagaId, step.name(), phase);
    CompletableFuture<Result> attemptFuture;
    try {
      ObjectNode context = JsonValues.objectTree(contextJson, SagaError.INVALID_INPUT, "context");
      CompletionStage<Result> stage =
          switch (action) {
            case StepAction.Java java ->
                runJava(
                    java,
                    new StepContext(
                        sagaId,
                        definition.name(),
                        step.name(),
                        phase,
                        attempt,
                        key,
                        JsonValues.parseObject(contextJson)));
            case StepAction.Http h -> runHttp(h, context, key, timeoutMs);
            case StepAction.Kv k -> runKv(k, context);
            case StepAction.Log l -> runLog(l, context, key);
          };
      attemptFuture = stage.toCompletableFuture();
    } catch (RuntimeException e) {
      attemptFuture = CompletableFuture.failedFuture(e);
    }
    return attemptFuture
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .handle((result, failure) -> failure == null ? result : classify(failure, timeoutMs));
  }

  private CompletionStage<Result> runJava(StepAction.Java java, StepContext context) {
    SagaFunction function = functions.get(java.function());
    if (function == null) {
      // Retryable: the step may move to a node that has the function registered.
      return CompletableFuture.completedFuture(
          Result.failed(
              "java function '" + java.function() + "' is not registered on this node", true));
    }
    return function
        .apply(context)
        .thenApply(out -> Result.ok(JsonValues.write(out == null ? Map.of() : out)));
  }

  private CompletionStage<Result> runHttp(
      StepAction.Http h, ObjectNode context, String key, long timeoutMs) {
    String url = Templates.fill(h.url(), context);
    HttpRequest.Builder request;
    try {
      request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMs));
    } catch (IllegalArgumentException e) {
      throw StepFailure.permanent("url '" + url + "' is malformed: " + e.getMessage());
    }
    try {
      h.headers().forEach((name, value) -> request.header(name, Templates.fill(value, context)));
      request.setHeader("Idempotency-Key", key);
      // The attempt's span (current while the request is built) reaches the participant as
      // W3C traceparent/tracestate, unless the definition sets its own.
      tracing
          .headers(Context.current())
          .forEach(
              (name, value) -> {
                if (h.headers().keySet().stream().noneMatch(name::equalsIgnoreCase)) {
                  request.setHeader(name, value);
                }
              });
    } catch (IllegalArgumentException e) {
      throw StepFailure.permanent("invalid request header: " + e.getMessage());
    }
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
    if (!h.body().isEmpty()) {
      JsonNode filled =
          Templates.fillJson(
              JsonValues.tree(h.body(), SagaError.INVALID_DEFINITION, "body"), context);
      body = HttpRequest.BodyPublishers.ofString(filled.toString(), StandardCharsets.UTF_8);
      if (h.headers().keySet().stream().noneMatch(n -> n.equalsIgnoreCase("Content-Type"))) {
        request.header("Content-Type", "application/json");
      }
    }
    request.method(h.method(), body);
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
        .thenApply(response -> httpResult(h, url, response));
  }

  private static Result httpResult(StepAction.Http h, String url, HttpResponse<String> response) {
    int status = response.statusCode();
    boolean success =
        h.successStatus().isEmpty()
            ? status >= 200 && status < 300
            : h.successStatus().contains(status);
    String text = response.body() == null ? "" : response.body();
    if (success) {
      Map<String, Object> output = new LinkedHashMap<>();
      try {
        JsonNode parsed = text.isBlank() ? null : JsonValues.MAPPER.readTree(text);
        if (parsed instanceof ObjectNode) {
          return Result.ok(parsed.toString());
        }
        if (parsed != null) {
          output.put("body", JsonValues.MAPPER.treeToValue(parsed, Object.class));
        }
      } catch (IOException e) {
        output.put("body", text);
      }
      output.put("status", status);
      return Result.ok(JsonValues.write(output));
    }
    boolean retryable = h.retryable(status);
    String snippet = text.length() > 200 ? text.substring(0, 200) + "…" : text;
    return Result.failed(
        "HTTP "
            + status
            + " from "
            + h.method()
            + " "
            + url
            + (snippet.isBlank() ? "" : ": " + snippet),
        retryable);
  }

  private CompletionStage<Result> runKv(StepAction.Kv k, ObjectNode context) {
    String keyspace = k.keyspace();
    return switch (k.op()) {
      case PUT ->
          kv.put(
                  keyspace,
                  Templates.fill(k.key(), context),
                  Templates.fill(k.value(), context).getBytes(StandardCharsets.UTF_8),
                  PutOptions.NONE)
              .thenApply(
                  r -> Result.ok(JsonValues.write(Map.of("revision", r.header().revision()))));
      case DELETE ->
          kv.delete(keyspace, Templates.fill(k.key(), context), false)
              .thenApply(r -> Result.ok(JsonValues.write(Map.of("deleted", r.deleted()))));
      case TXN -> {
        StepAction.KvTxn spec = k.txn().orElseThrow();
        List<Compare> compares = new ArrayList<>();
        for (StepAction.KvCompare c : spec.compare()) {
          String key = Templates.fill(c.key(), context);
          Compare.Op op = Compare.Op.parse(c.op());
          String value = Templates.fill(c.value() == null ? "" : c.value(), context);
          compares.add(
              switch (c.target()) {
                case "value" -> Compare.value(key, op, value);
                case "version" -> Compare.version(key, op, number(value));
                case "create" -> Compare.createRevision(key, op, number(value));
                case "mod" -> Compare.modRevision(key, op, number(value));
                case "lease" -> Compare.lease(key, op, number(value));
                default -> throw StepFailure.permanent("unknown compare target " + c.target());
              });
        }
        TxnRequest txn =
            new TxnRequest(compares, ops(spec.success(), context), ops(spec.failure(), context));
        yield kv.txn(keyspace, txn)
            .thenApply(
                r ->
                    r.succeeded()
                        ? Result.ok(
                            JsonValues.write(
                                Map.of("succeeded", true, "revision", r.header().revision())))
                        : Result.failed("kv txn compares did not hold", false));
      }
    };
  }

  private static long number(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw StepFailure.permanent("txn compare operand '" + text + "' is not an integer");
    }
  }

  private static List<TxnOp> ops(List<StepAction.KvWrite> writes, ObjectNode context) {
    List<TxnOp> ops = new ArrayList<>();
    for (StepAction.KvWrite w : writes) {
      String key = Templates.fill(w.key(), context);
      ops.add(
          "put".equals(w.op())
              ? new TxnOp.Put(key, Templates.fill(w.value(), context))
              : new TxnOp.Delete(key));
    }
    return ops;
  }

  private CompletionStage<Result> runLog(StepAction.Log l, ObjectNode context, String key) {
    String topic = Templates.fill(l.topic(), context);
    String recordKey =
        l.key() == null || l.key().isEmpty() ? null : Templates.fill(l.key(), context);
    String value = Templates.fill(l.value(), context);
    Map<String, byte[]> headers = new LinkedHashMap<>();
    l.headers()
        .forEach(
            (n, v) -> headers.put(n, Templates.fill(v, context).getBytes(StandardCharsets.UTF_8)));
    headers.put("idempotency-key", key.getBytes(StandardCharsets.UTF_8));
    ProducerRecord record =
        new ProducerRecord(
            topic,
            null,
            recordKey == null ? null : recordKey.getBytes(StandardCharsets.UTF_8),
            value == null ? null : value.getBytes(StandardCharsets.UTF_8),
            headers,
            null);
    return log.send(topic, List.of(record))
        .thenApply(
            written ->
                Result.ok(
                    JsonValues.write(
                        Map.of(
                            "partition",
                            written.get(0).partition(),
                            "offset",
                            written.get(0).offset()))));
  }

  private static Result classify(Throwable failure, long timeoutMs) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return switch (cause) {
      case StepFailure f -> Result.failed(f.getMessage(), f.retryable());
      case TimeoutException t ->
          Result.failed("attempt timed out after " + timeoutMs + " ms", true);
      case HttpTimeoutException t ->
          Result.failed("HTTP request timed out after " + timeoutMs + " ms", true);
      case IOException io -> Result.failed("HTTP request failed: " + io, true);
      case CohortException c ->
          Result.failed(
              c.code() + ": " + c.getMessage(),
              c.kind() == ErrorKind.TIMEOUT || c.kind() == ErrorKind.UNAVAILABLE);
      default -> Result.failed(String.valueOf(cause), true);
    };
  }
}
