package dev.cohort.gateway;

import dev.cohort.observability.Metrics;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import dev.cohort.security.Audit;
import dev.cohort.security.Authorizer;
import dev.cohort.security.SecuritySettings;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
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
 * metrics, the request's server span ({@link RequestTracing}), error handling, the request body
 * size limit; it also hands every request the gateway's {@link Authorization}, which each matched
 * endpoint's guard asks. Routes name themselves with {@link #named} so that metrics carry a route
 * template ({@code /v1/counters/{name}}) rather than raw paths, which would give every key its own
 * series.
 */
public final class HttpApi extends AllDirectives {
  private static final Logger accessLog = LoggerFactory.getLogger("dev.cohort.gateway.access");
  private static final AttributeKey<AtomicReference> ROUTE_NAME =
      AttributeKey.create("cohort-route", AtomicReference.class);

  private final Counter requests;
  private final Histogram latency;
  private final long maxBodyBytes;
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
    this.tracing = Tracing.get(system);
    SecuritySettings security = SecuritySettings.create(system.settings().config());
    this.authorization =
        new Authorization(
            authorizer, Audit.create(system), security.realm(), security.streamCheckInterval());
  }

  /** Wraps {@code routes} (tried in order) with access log, metrics, errors and size limit. */
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
                                  new ErrorHandling()
                                      .handle(
                                          () ->
                                              withSizeLimit(
                                                  maxBodyBytes,
                                                  () ->
                                                      concat(
                                                          routes.getFirst(),
                                                          routes.stream()
                                                              .skip(1)
                                                              .toArray(Route[]::new)))))));
        });
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
