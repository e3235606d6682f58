package dev.cohort.gateway;

import com.typesafe.config.Config;
import dev.cohort.observability.Metrics;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import dev.cohort.security.Audit;
import dev.cohort.security.Authorizer;
import dev.cohort.security.SecuritySettings;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's outer layers around every service's routes, outermost first: access log and HTTP
 * metrics, the request's server span ({@link RequestTracing}), Pekko's request timeout answered as
 * 504 timeout, error handling, reading the whole request body (at most {@code max-body-bytes},
 * within most of Pekko's request timeout) before any route. Reading it first also means that a
 * route which answers without looking at the body never closes the connection over unread bytes,
 * which would reset it and lose the answer. Routes name themselves with {@link #named} so that
 * metrics carry a route template ({@code /v1/counters/{name}}) rather than raw paths, which would
 * give every key its own series. It also hands every request the gateway's {@link Authorization},
 * which each matched endpoint's guard asks.
 */
public final class HttpApi extends AllDirectives {
  private static final Logger accessLog = LoggerFactory.getLogger("dev.cohort.gateway.access");
  private static final AttributeKey<AtomicReference> ROUTE_NAME =
      AttributeKey.create("cohort-route", AtomicReference.class);

  private final Counter requests;
  private final Histogram latency;
  private final long maxBodyBytes;
  private final Duration bodyTimeout;
  private final Tracing tracing;
  private final Authorization authorization;

  /** {@code authorizer}: the permission check every guarded endpoint asks. */
  public HttpApi(ActorSystem<?> system, GatewaySettings settings, Authorizer authorizer) {
    Metrics metrics = Metrics.get(system);
    this.requests =
        metrics.counter(
            "cohort_http_requests",
            "HTTP requests by route, method and status",
            "route",
            "method",
            "status");
    this.latency =
        metrics.histogram(
            "cohort_http_request_seconds", "HTTP request latency to the response head",
            "route", "status");
    this.maxBodyBytes = settings.maxBodyBytes();
    this.bodyTimeout = bodyTimeout(system.settings().config());
    this.tracing = Tracing.get(system);
    SecuritySettings security = SecuritySettings.create(system.settings().config());
    this.authorization =
        new Authorization(
            authorizer, Audit.create(system), security.realm(), security.streamCheckInterval());
  }

  /** Wraps {@code routes} (tried in order) with access log, metrics, errors and the body read. */
  public Route wrap(List<Route> routes) {
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          AtomicReference<String> routeName = new AtomicReference<>("unmatched");
          RequestTracing trace = RequestTracing.start(tracing, request);
          return mapRequest(
              r ->
                  r.addAttribute(ROUTE_NAME, routeName)
                      .addAttribute(Authorization.KEY, authorization),
              () ->
                  mapResponse(
                      response -> record(request, response, routeName.get(), start, trace),
                      () ->
                          trace.around(
                              () ->
                                  withRequestTimeoutResponse(
                                      HttpApi::requestTimedOut,
                                      () ->
                                          new ErrorHandling()
                                              .handle(
                                                  () ->
                                                      withSizeLimit(
                                                          maxBodyBytes,
                                                          () ->
                                                              toStrictEntity(
                                                                  bodyTimeout,
                                                                  Long.MAX_VALUE,
                                                                  () -> concat(routes))))))));
        });
  }

  /** Pekko's request timeout fired before any answer: the one error shape, 504 timeout. */
  private static HttpResponse requestTimedOut(HttpRequest request) {
    return Json.error(
        GatewayError.TIMEOUT,
        "no answer within pekko.http.server.request-timeout; the outcome is unknown");
  }

  /**
   * Three quarters of Pekko's request timeout: a body that has not arrived by then is the client's
   * fault, 408 body_timeout, decided before Pekko's request timeout answers 504 timeout (the
   * server's fault). An infinite request timeout leaves the body a day.
   */
  private static Duration bodyTimeout(Config config) {
    String path = "pekko.http.server.request-timeout";
    if (config.getString(path).equals("infinite")) {
      return Duration.ofDays(1);
    }
    return config.getDuration(path).multipliedBy(3).dividedBy(4);
  }

  private Route concat(List<Route> routes) {
    return concat(routes.getFirst(), routes.stream().skip(1).toArray(Route[]::new));
  }

  /** Names the matched route for metrics and the access log; call inside the path match. */
  public static Route named(String template, Supplier<Route> inner) {
    return new HttpApi.Directives().nameRoute(template, inner);
  }

  /**
   * Counts the request and logs it with the request's span current, so that the latency observation
   * carries the trace id as its exemplar and the access log line carries the ids.
   */
  private HttpResponse record(
      HttpRequest request, HttpResponse response, String route, long start, RequestTracing trace) {
    double seconds = (System.nanoTime() - start) / 1e9;
    String status = Integer.toString(response.status().intValue());
    try (TraceScope ignored = trace.enter()) {
      requests.labelValues(route, request.method().name(), status).inc();
      latency.labelValues(route, status).observe(seconds);
      accessLog.info(
          "{} {} {} {}ms",
          request.method().name(),
          request.getUri().path(),
          status,
          String.format("%.1f", seconds * 1000));
    }
    return trace.finish(request, route, response);
  }

  private static final class Directives extends AllDirectives {
    @SuppressWarnings("unchecked")
    Route nameRoute(String template, Supplier<Route> inner) {
      return extractRequest(
          request -> {
            request
                .getAttribute(ROUTE_NAME)
                .ifPresent(holder -> ((AtomicReference<String>) holder).set(template));
            return inner.get();
          });
    }
  }
}
