package dev.cohort.saga;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A participant service over real HTTP on 127.0.0.1: every path applies an effect once per {@code
 * Idempotency-Key} (a repeated key answers the first answer again without a second effect) and can
 * be told to fail, hang or reject its next requests. Records every request it receives.
 */
final class Participant implements AutoCloseable {
  /** One request as the participant saw it. */
  /** {@code traceparent}: the W3C header the caller sent, or null. */
  record Request(String method, String path, String key, String body, String traceparent) {}

  private sealed interface Behaviour {}

  private record Fail(int status) implements Behaviour {}

  /** Applies the effect, then answers only after {@code millis}. */
  private record Slow(long millis) implements Behaviour {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newFixedThreadPool(8);
  private final Map<String, Deque<Behaviour>> scripts = new ConcurrentHashMap<>();
  private final Map<String, Integer> failAlways = new ConcurrentHashMap<>();
  private final Map<String, String> answered = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();

  /** Effects applied, in order: "path key body". */
  final List<String> effects = new CopyOnWriteArrayList<>();

  /** A started participant, for static fields (an I/O failure to bind is a broken test setup). */
  static Participant start() {
    try {
      return new Participant();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  Participant() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  int port() {
    return server.getAddress().getPort();
  }

  synchronized void failNext(String path, int times, int status) {
    for (int i = 0; i < times; i++) {
      scripts.computeIfAbsent(path, p -> new ArrayDeque<>()).add(new Fail(status));
    }
  }

  synchronized void slowNext(String path, long millis) {
    scripts.computeIfAbsent(path, p -> new ArrayDeque<>()).add(new Slow(millis));
  }

  void failAlways(String path, int status) {
    failAlways.put(path, status);
  }

  void heal(String path) {
    failAlways.remove(path);
  }

  List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  List<String> effects(String path) {
    return effects.stream().filter(e -> e.startsWith(path + " ")).toList();
  }

  private synchronized Behaviour next(String path) {
    Deque<Behaviour> script = scripts.get(path);
    return script == null ? null : script.poll();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    requests.add(
        new Request(
            exchange.getRequestMethod(),
            path,
            key,
            body,
            exchange.getRequestHeaders().getFirst("traceparent")));
    Integer always = failAlways.get(path);
    Behaviour behaviour = always != null ? new Fail(always) : next(path);
    if (behaviour instanceof Fail fail) {
      respond(exchange, fail.status(), "{\"error\":\"told to fail\"}");
      return;
    }
    String answer;
    synchronized (this) {
      answer = key == null ? null : answered.get(path + key);
      if (answer == null) {
        effects.add(path + " " + key + " " + body);
        answer = "{\"path\":\"" + path + "\",\"effect\":" + effects.size() + "}";
        if (key != null) {
          answered.put(path + key, answer);
        }
      }
    }
    if (behaviour instanceof Slow slow) {
      try {
        Thread.sleep(slow.millis()); // the participant is slow; the saga's timeout decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    respond(exchange, path.equals("/pay") ? 201 : 200, answer);
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    try {
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // the client gave up (its timeout); the effect stays applied
    } finally {
      exchange.close();
    }
  }

  List<String> keys(String path) {
    List<String> keys = new ArrayList<>();
    requests(path).forEach(r -> keys.add(r.key()));
    return keys;
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
