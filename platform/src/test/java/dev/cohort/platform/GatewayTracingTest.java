package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of tracing on an embedded node that exports to a Zipkin-compatible endpoint (a
 * collector in this test that keeps what it receives): W3C headers in and out, the server span
 * named after the route template and parented on the caller's span, the trace id in the access
 * log's MDC and as the latency histogram's exemplar.
 */
@Tag("integration")
class GatewayTracingTest {
  private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CALLER_SPAN = "00f067aa0ba902b7";

  private static final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private static final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
  private static HttpServer collector;
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext(
        "/api/v2/spans",
        exchange -> {
          java.io.InputStream body = exchange.getRequestBody();
          if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            body = new java.util.zip.GZIPInputStream(body);
          }
          JsonNode spans = HttpTestClient.JSON.readTree(body);
          spans.forEach(received::add);
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    collector.start();
    accessLog.start();
    ((Logger) LoggerFactory.getLogger("dev.cohort.gateway.access")).addAppender(accessLog);
    ((Logger) LoggerFactory.getLogger("dev.cohort.gateway.access"))
        .setLevel(ch.qos.logback.classic.Level.INFO);
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-gateway-tracing")
                .override("cohort.observability.tracing.exporter", "zipkin")
                .override(
                    "cohort.observability.tracing.endpoint",
                    "http://127.0.0.1:" + collector.getAddress().getPort() + "/api/v2/spans")
                .override("cohort.observability.tracing.service-name", "cohort-gw-test")
                .build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
    collector.stop(0);
    ((Logger) LoggerFactory.getLogger("dev.cohort.gateway.access")).detachAppender(accessLog);
  }

  private HttpResponse<String> putWithTraceparent(String key, String traceparent) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(http.base() + "/v1/kv/default/keys/" + key))
            .timeout(Duration.ofSeconds(30))
            .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"v\"}"));
    if (traceparent != null) {
      request.header("traceparent", traceparent).header("tracestate", "caller=1");
    }
    return http.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void requestContinuesTheCallersTraceAndAnswersWithItsOwnSpan() throws Exception {
    HttpResponse<String> response =
        putWithTraceparent("traced/a", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01");
    ok(response);
    String answered = response.headers().firstValue("traceparent").orElseThrow();
    assertTrue(answered.startsWith("00-" + CALLER_TRACE + "-"), answered);
    String serverSpan = answered.substring(36, 52);
    assertNotEquals(CALLER_SPAN, serverSpan);

    JsonNode span = awaitSpan(serverSpan);
    assertEquals("put /v1/kv/{ks}/keys/{key*}", span.path("name").asText());
    assertEquals(CALLER_TRACE, span.path("traceId").asText());
    assertEquals(CALLER_SPAN, span.path("parentId").asText());
    assertEquals("SERVER", span.path("kind").asText());
    assertEquals("cohort-gw-test", span.path("localEndpoint").path("serviceName").asText());
    assertEquals("200", span.path("tags").path("http.response.status_code").asText());
    assertTrue(
        span.path("tags").path("service.instance.id").asText().startsWith("pekko://"),
        span.toString());

    ILoggingEvent line =
        accessLog.list.stream()
            .filter(e -> e.getFormattedMessage().contains("/v1/kv/default/keys/traced/a"))
            .findFirst()
            .orElseThrow();
    assertEquals(CALLER_TRACE, line.getMDCPropertyMap().get("trace_id"));
    assertEquals(serverSpan, line.getMDCPropertyMap().get("span_id"));
  }

  @Test
  void requestWithoutTraceparentStartsATraceAndItsLatencyCarriesTheExemplar() throws Exception {
    HttpResponse<String> response = putWithTraceparent("traced/b", null);
    ok(response);
    String answered = response.headers().firstValue("traceparent").orElseThrow();
    String traceId = answered.substring(3, 35);
    assertNotEquals(CALLER_TRACE, traceId);
    assertTrue(awaitSpan(answered.substring(36, 52)).path("parentId").isMissingNode());

    HttpResponse<String> metrics =
        http.client()
            .send(
                HttpRequest.newBuilder(URI.create(http.base() + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertTrue(
        metrics
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .startsWith("application/openmetrics-text"),
        metrics.headers().toString());
    assertTrue(
        metrics
            .body()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("cohort_http_request_seconds_bucket{")
                        && l.contains("route=\"/v1/kv/{ks}/keys/{key*}\"")
                        && l.contains("trace_id=\"")),
        "no exemplar on the kv route's latency buckets");
    String plain = http.send("GET", "/metrics", null).body();
    assertTrue(
        plain.contains("cohort_http_request_seconds_bucket{") && !plain.contains("trace_id="));
  }

  @Test
  void unsampledCallerIsAnsweredUnsampledAndNothingOfItsTraceIsExported() throws Exception {
    String unsampledTrace = "5cf92f3577b34da6a3ce929d0e0e4737";
    HttpResponse<String> unsampled =
        putWithTraceparent("traced/c", "00-" + unsampledTrace + "-" + CALLER_SPAN + "-00");
    ok(unsampled);
    String answered = unsampled.headers().firstValue("traceparent").orElseThrow();
    assertTrue(
        answered.startsWith("00-" + unsampledTrace + "-") && answered.endsWith("-00"), answered);

    // A sampled put after it: once its partition's reply span is exported, every span the
    // unsampled put could have made (all ended before its answer) would have been exported too.
    HttpResponse<String> sampled =
        putWithTraceparent(
            "traced/d", "00-" + CALLER_TRACE.replace('4', '6') + "-" + CALLER_SPAN + "-01");
    ok(sampled);
    awaitSpanNamed(CALLER_TRACE.replace('4', '6'), "kv reply");
    assertTrue(
        received.stream().noneMatch(s -> unsampledTrace.equals(s.path("traceId").asText())),
        "spans of an unsampled trace were exported");
    ILoggingEvent line =
        accessLog.list.stream()
            .filter(e -> e.getFormattedMessage().contains("/v1/kv/default/keys/traced/c"))
            .findFirst()
            .orElseThrow();
    assertNull(line.getMDCPropertyMap().get("trace_id"), "an unsampled request logs no trace id");
  }

  private static void awaitSpanNamed(String traceId, String name) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode span : received) {
        if (traceId.equals(span.path("traceId").asText())
            && name.equals(span.path("name").asText())) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no span '" + name + "' of trace " + traceId + "; got " + received);
  }

  /** The span with this id once the node's batch exporter sent it, within a deadline. */
  private static JsonNode awaitSpan(String spanId) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode span : received) {
        if (spanId.equals(span.path("id").asText())) {
          return span;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("span " + spanId + " never reached the collector; got " + received);
  }
}
