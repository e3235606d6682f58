package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The workloads' HTTP calls: JSON in and out, every request bounded by the gateways' request
 * timeout, and the one place that decides what an answer means for a write.
 *
 * <p>Thread-safe (the JDK client is). Never throws for network trouble: it becomes a {@link Reply}
 * without status, which a write records as INDETERMINATE.
 */
public final class ChaosHttp {
  public static final ObjectMapper JSON = new ObjectMapper();

  private ChaosHttp() {}

  public static Reply get(Gateways g, URI node, String path) {
    return send(g, node, "GET", path, null, g.requestTimeout());
  }

  public static Reply post(Gateways g, URI node, String path, Object body) {
    return send(g, node, "POST", path, body, g.requestTimeout());
  }

  public static Reply put(Gateways g, URI node, String path, Object body) {
    return send(g, node, "PUT", path, body, g.requestTimeout());
  }

  public static Reply delete(Gateways g, URI node, String path) {
    return send(g, node, "DELETE", path, null, g.requestTimeout());
  }

  /**
   * Sends one request. {@code body} is a Jackson node, a JSON string, or null. A long poll passes a
   * {@code timeout} longer than the wait it asks the server for.
   */
  public static Reply send(
      Gateways g, URI node, String method, String path, Object body, Duration timeout) {
    String json = body == null ? null : body instanceof String s ? s : body.toString();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(node.resolve(path))
            .timeout(timeout)
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> response =
          g.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
      avoidUntil.remove(node);
      JsonNode parsed = parse(response.body());
      JsonNode code = parsed.path("error").path("code");
      return new Reply(
          response.statusCode(), parsed, code.isTextual() ? code.textValue() : null, null);
    } catch (HttpConnectTimeoutException e) {
      return unanswered(node, "connect_timeout");
    } catch (HttpTimeoutException e) {
      return timedOut(g, node);
    } catch (java.net.ConnectException e) {
      return unanswered(node, Reply.REFUSED);
    } catch (IOException e) {
      return unanswered(node, "io:" + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(0, MissingNode.getInstance(), null, "interrupted");
    }
  }

  private static JsonNode parse(String text) {
    if (text == null || text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }

  /**
   * What a write's answer proves. 2xx: applied. A refused connection: never sent. No answer, 5xx
   * other than the {@code definite} codes (504 timeout, a 503 that wraps an unknown failure, 500):
   * it may have been applied, now or later. 4xx: refused before anything was written (the gateway's
   * rule: 400 bad input, 404, 409 conflict, 413). {@code definite} names the 503 codes the service
   * documents as "nothing was written" (for example kv's {@code txn_aborted}).
   */
  public static Outcome writeOutcome(Reply reply, Set<String> definite) {
    if (reply.ok()) {
      return Outcome.OK;
    }
    if (reply.refused()) {
      return Outcome.FAIL;
    }
    if (!reply.answered() || reply.status() >= 500 && !definite.contains(reply.code())) {
      return Outcome.INDETERMINATE;
    }
    return Outcome.FAIL;
  }

  /** How long a gateway that did not answer is passed over by {@link #any}. */
  static final long UNANSWERED_AVOID_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(3);

  /** Until when (System.nanoTime) each gateway that did not answer is passed over. */
  private static final java.util.Map<URI, Long> avoidUntil =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A gateway chosen at random among those that answered their last request or health check (or
   * whose last unanswered one is over {@link #UNANSWERED_AVOID_NANOS} old); any when none did. As
   * etcd's client balancer skips an endpoint that failed, so a client does not keep sending to a
   * node that is dead or paused: the harness then measures the cluster's failover, not client luck.
   */
  public static URI any(Gateways g) {
    long now = System.nanoTime();
    List<URI> answering =
        g.nodes().stream()
            .filter(
                node -> {
                  Long until = avoidUntil.get(node);
                  return until == null || until - now < 0;
                })
            .toList();
    List<URI> from = answering.isEmpty() ? g.nodes() : answering;
    return from.get(ThreadLocalRandom.current().nextInt(from.size()));
  }

  /** How long the health check after a timed-out request may take. */
  static final Duration HEALTH_CHECK_TIMEOUT = Duration.ofMillis(500);

  /**
   * A request that timed out: the gateway is passed over only when its readiness check does not
   * answer 200 either, as a load balancer's health check decides. A timeout alone may be one slow
   * partition behind a healthy gateway (its node unreachable and not yet downed), and avoiding
   * healthy gateways for it steers clients onto the faulty node.
   */
  private static Reply timedOut(Gateways g, URI node) {
    try {
      HttpResponse<Void> health =
          g.http()
              .send(
                  HttpRequest.newBuilder(node.resolve("/health/ready"))
                      .timeout(HEALTH_CHECK_TIMEOUT)
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
      if (health.statusCode() == 200) {
        return new Reply(0, MissingNode.getInstance(), null, "timeout");
      }
    } catch (IOException e) {
      // no answer to the health check either: avoid the gateway
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return unanswered(node, "timeout");
  }

  private static Reply unanswered(URI node, String error) {
    avoidUntil.put(node, System.nanoTime() + UNANSWERED_AVOID_NANOS);
    return new Reply(0, MissingNode.getInstance(), null, error);
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /**
   * A key as a path remainder: every byte outside the unreserved set and {@code /} is
   * percent-encoded, so hash tags ({@code {tag}}) survive; the gateway decodes it as UTF-8.
   */
  public static String pathKey(String key) {
    StringBuilder b = new StringBuilder();
    for (byte x : key.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~'
          || c == '/') {
        b.append((char) c);
      } else {
        b.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }

  /** Query-parameter encoding. */
  public static String query(String text) {
    return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
