package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The participant service the saga workload's http steps call: {@code POST /effect} with a body
 * naming the saga, the step and the phase ({@code action} or {@code compensation}). It applies an
 * effect once per {@code Idempotency-Key} (a repeated key gets the first answer again) and
 * remembers, per (saga, step, phase), the effects applied and the keys that applied them.
 *
 * <p>Faults of its own, so that retries and compensations run: a share of calls answers 503 before
 * applying anything (retryable), and an action whose body says {@code "fail":"true"} answers 422
 * without an effect (a definite failure that makes the saga compensate). Binds 127.0.0.1 on a free
 * port; thread-safe.
 */
public final class SagaParticipant implements AutoCloseable {
  /** What happened to one (saga, step, phase). */
  public record Effects(int applied, int calls, List<String> keys) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final double transientFailures;
  private final Random random = new Random();
  private final Map<String, Integer> answers = new HashMap<>();
  private final Map<String, Effects> effects = new HashMap<>();
  private long missingKey;

  public SagaParticipant(double transientFailures) throws IOException {
    this.transientFailures = transientFailures;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    executor =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "saga-participant");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/effect", this::handle);
    server.start();
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      int status;
      try {
        JsonNode body = ChaosHttp.JSON.readTree(exchange.getRequestBody().readAllBytes());
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        String id =
            body.path("saga").asText()
                + "|"
                + body.path("step").asText()
                + "|"
                + body.path("phase").asText();
        status =
            decide(
                key,
                id,
                "action".equals(body.path("phase").asText())
                    && "true".equals(body.path("fail").asText()));
      } catch (IOException | RuntimeException e) {
        status = 400;
      }
      byte[] out = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, out.length);
      exchange.getResponseBody().write(out);
    }
  }

  private synchronized int decide(String key, String id, boolean fail) {
    Effects e = effects.getOrDefault(id, new Effects(0, 0, List.of()));
    if (key == null) {
      missingKey++;
    }
    Integer earlier = key == null ? null : answers.get(key);
    if (earlier != null) {
      effects.put(id, new Effects(e.applied(), e.calls() + 1, e.keys()));
      return earlier; // the same answer again, no second effect
    }
    if (random.nextDouble() < transientFailures) {
      effects.put(id, new Effects(e.applied(), e.calls() + 1, e.keys()));
      return 503; // before anything happened; the step retries with the same key
    }
    int status = fail ? 422 : 200;
    List<String> keys = new java.util.ArrayList<>(e.keys());
    keys.add(key == null ? "(no key)" : key);
    effects.put(id, new Effects(e.applied() + (fail ? 0 : 1), e.calls() + 1, List.copyOf(keys)));
    if (key != null) {
      answers.put(key, status);
    }
    return status;
  }

  /** Effects per {@code saga|step|phase}. */
  public synchronized Map<String, Effects> effects() {
    return Map.copyOf(effects);
  }

  public synchronized long callsWithoutKey() {
    return missingKey;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
