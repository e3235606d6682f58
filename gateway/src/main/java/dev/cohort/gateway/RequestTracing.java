package dev.cohort.gateway;

import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.directives.RouteAdapter;
import org.apache.pekko.http.scaladsl.server.RequestContext;
import org.apache.pekko.http.scaladsl.server.RouteResult;
import scala.concurrent.ExecutionContext;
import scala.concurrent.ExecutionContextExecutor;
import scala.concurrent.Future;

/**
 * The server span of one HTTP request: continues the caller's W3C {@code traceparent} and {@code
 * tracestate} or starts a trace, runs the routes with the span current (on the routing thread and
 * on every continuation the routes schedule on the request's execution context, so that a service
 * API called from a route puts the span into its messages), and answers with {@code traceparent}.
 * The span is named {@code "<METHOD> <route template>"} once the route is known.
 *
 * <p>Inactive (every method a pass-through) when tracing is off. Not thread-safe by itself: one
 * instance per request, used by the request's route and its response mapping.
 */
final class RequestTracing {
  private final Tracing tracing;
  private final Span span;
  private final Context context;

  private RequestTracing(Tracing tracing, Span span) {
    this.tracing = tracing;
    this.span = span;
    this.context = span == null ? Context.root() : Context.root().with(span);
  }

  /** Starts the request's server span, child of the caller's context if it sent one. */
  static RequestTracing start(Tracing tracing, HttpRequest request) {
    if (!tracing.enabled()) {
      return new RequestTracing(tracing, null);
    }
    Map<String, String> headers = new HashMap<>(2);
    request.getHeader("traceparent").ifPresent(h -> headers.put("traceparent", h.value()));
    request.getHeader("tracestate").ifPresent(h -> headers.put("tracestate", h.value()));
    Span span =
        tracing
            .tracer()
            .spanBuilder(request.method().name())
            .setSpanKind(SpanKind.SERVER)
            .setParent(tracing.extract(headers))
            .setAttribute("http.request.method", request.method().name())
            .setAttribute("url.path", request.getUri().path())
            .startSpan();
    return new RequestTracing(tracing, span);
  }

  /** {@code inner} run inside the span: synchronously, and on the request's execution context. */
  Route around(Supplier<Route> inner) {
    if (span == null) {
      return inner.get();
    }
    scala.Function1<RequestContext, Future<RouteResult>> traced =
        ctx -> {
          ExecutionContextExecutor executor =
              ExecutionContext.fromExecutor(tracing.executor(context, ctx.executionContext()));
          try (TraceScope ignored = tracing.enter(context)) {
            return inner.get().asScala().apply(ctx.withExecutionContext(executor));
          }
        };
    return RouteAdapter.asJava(traced);
  }

  /** Opens the span on this thread (for the access log line and the latency exemplar). */
  TraceScope enter() {
    return tracing.enter(context);
  }

  /** Names and ends the span, and adds {@code traceparent} to {@code response}. */
  HttpResponse finish(HttpRequest request, String route, HttpResponse response) {
    if (span == null) {
      return response;
    }
    int status = response.status().intValue();
    span.updateName(request.method().name() + " " + route);
    span.setAttribute("http.route", route);
    span.setAttribute("http.response.status_code", status);
    if (status >= 500) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
    String traceparent = tracing.headers(context).get("traceparent");
    return traceparent == null
        ? response
        : response.addHeader(RawHeader.create("traceparent", traceparent));
  }
}
