package dev.cohort.observability;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.ExtensionSetup;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * Tracing of one node, as a Pekko extension: the OpenTelemetry tracer configured by {@link
 * TracingSettings}, and the few operations every module needs to carry a trace through its actors
 * without code of its own: {@link #capture()} the current context into a message's {@link
 * TraceContext}, {@link #traced} an actor so that it handles such messages inside that context,
 * {@link #enter} a context on a thread (with its ids in the logging MDC).
 *
 * <p>One tracer provider per {@link ActorSystem}, never the global one, so that several nodes in
 * one JVM report as separate service instances. Spans are batched and exported in the background;
 * coordinated shutdown flushes them.
 *
 * <p>With the exporter {@code none} nothing is created: {@link #capture()} returns null, {@link
 * #traced} returns the behavior itself and {@link #enter} only restores what it found, which is the
 * near-zero cost the tracing-off path promises.
 *
 * <p>An unsampled trace (the sampler said no at its root, or the caller's {@code traceparent} has
 * the sampled flag clear) is carried from hop to hop as the carrier it arrived in, unparsed by the
 * propagator and never re-encoded, so that every later hop keeps the decision; no span, no MDC
 * entry and no record header is made for it. At a sampler ratio of 0.01 that is 99 % of the
 * requests, and their per-hop cost was most of the tracing overhead (observability README).
 * Thread-safe.
 */
public final class Tracing implements Extension {
  /**
   * MDC key of the current trace id (32 hex digits) while a traced message or request is handled.
   */
  public static final String MDC_TRACE_ID = "trace_id";

  /** MDC key of the current span id (16 hex digits). */
  public static final String MDC_SPAN_ID = "span_id";

  /** MDC key of the node's cluster address. */
  public static final String MDC_NODE = "node";

  /** MDC key of the module handling the message ({@code kv}, {@code log}, …). */
  public static final String MDC_MODULE = "module";

  /** MDC key of the entity handling the message, where it is one. */
  public static final String MDC_ENTITY_ID = "entity_id";

  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  private static final AttributeKey<String> SERVICE_INSTANCE =
      AttributeKey.stringKey("service.instance.id");

  private static final ExtensionId<Tracing> ID =
      new ExtensionId<>() {
        @Override
        public Tracing createExtension(ActorSystem<?> system) {
          return new Tracing(system, TracingSettings.create(system.settings().config()), null);
        }
      };

  private static final TextMapGetter<TraceContext> CARRIER_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(TraceContext carrier) {
          return java.util.List.of("traceparent", "tracestate");
        }

        @Override
        public String get(TraceContext carrier, String key) {
          if (carrier == null) {
            return null;
          }
          return switch (key) {
            case "traceparent" -> carrier.traceparent();
            case "tracestate" -> carrier.tracestate();
            default -> null;
          };
        }
      };

  private static final TextMapGetter<Map<String, String>> MAP_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private static final TextMapSetter<Map<String, String>> MAP_SETTER = Map::put;

  /**
   * The carrier an unsampled context continues. Every context derived from it is unsampled too (the
   * sampler is parent-based), so the carrier stands for all of them: the trace id and the cleared
   * flag are what later hops need, and no span of the trace is ever exported, so which span id a
   * later hop names as its parent does not matter.
   */
  private static final ContextKey<TraceContext> UNSAMPLED = ContextKey.named("cohort-unsampled");

  private final TracingSettings settings;
  private final String node;
  private final SdkTracerProvider provider;
  private final Tracer tracer;
  private final TextMapPropagator propagator = W3CTraceContextPropagator.getInstance();

  private Tracing(ActorSystem<?> system, TracingSettings settings, SpanExporter given) {
    this.settings = settings;
    this.node = system.address().toString();
    if (given == null && settings.exporter() == TracingSettings.Exporter.NONE) {
      this.provider = null;
      this.tracer = io.opentelemetry.api.OpenTelemetry.noop().getTracer("cohort");
      return;
    }
    this.provider =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                SERVICE_NAME, settings.serviceName(), SERVICE_INSTANCE, node))))
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.samplerRatio())))
            .addSpanProcessor(new InstanceAttribute(node))
            .addSpanProcessor(
                given != null
                    ? SimpleSpanProcessor.create(given)
                    : BatchSpanProcessor.builder(exporter(settings)).build())
            .build();
    this.tracer = provider.get("dev.cohort");
    CoordinatedShutdown.get(system.classicSystem())
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "flush-traces",
            () -> {
              provider.forceFlush().join(5, TimeUnit.SECONDS);
              provider.shutdown().join(5, TimeUnit.SECONDS);
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  /**
   * An {@link org.apache.pekko.actor.setup.ActorSystemSetup} part that turns tracing on with {@code
   * exporter} in place of the configured one (sampler ratio and service name still come from the
   * configuration): each span is handed to it as it ends, on the thread that ends it. For tests
   * that assert span trees, and for embedders that collect spans themselves.
   */
  public static final class ExporterSetup extends ExtensionSetup<Tracing> {
    public ExporterSetup(SpanExporter exporter) {
      super(
          ID,
          system ->
              new Tracing(system, TracingSettings.create(system.settings().config()), exporter));
    }
  }

  public static Tracing get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public TracingSettings settings() {
    return settings;
  }

  /** True when spans are created and exported (the exporter is not {@code none}). */
  public boolean enabled() {
    return provider != null;
  }

  /** The node's tracer; a no-op tracer when tracing is off. */
  public Tracer tracer() {
    return tracer;
  }

  /** The node's cluster address, as spans and the MDC report it. */
  public String node() {
    return node;
  }

  /**
   * The current span's context, to put into an outgoing message; null when tracing is off or no
   * span is current.
   */
  public TraceContext capture() {
    return enabled() ? capture(Context.current()) : null;
  }

  /** {@code context}'s span as a carrier; null when it has none or tracing is off. */
  public TraceContext capture(Context context) {
    if (!enabled()) {
      return null;
    }
    TraceContext unsampled = context.get(UNSAMPLED);
    if (unsampled != null) {
      return unsampled;
    }
    if (!Span.fromContext(context).getSpanContext().isValid()) {
      return null;
    }
    Map<String, String> headers = new HashMap<>(2);
    propagator.inject(context, headers, MAP_SETTER);
    return new TraceContext(headers.get("traceparent"), headers.get("tracestate"));
  }

  /** The context a carrier describes (a remote parent); the root context for null or off. */
  public Context contextOf(TraceContext carrier) {
    if (!enabled() || carrier == null || !carrier.wellFormed()) {
      return Context.root();
    }
    if (!carrier.sampled()) {
      return unsampled(carrier);
    }
    return propagator.extract(Context.root(), carrier, CARRIER_GETTER);
  }

  /**
   * True when spans under {@code carrier} are recorded: tracing is on and the carrier names a
   * sampled trace. Where this is false a module skips its spans for the message (the carrier is
   * still passed on as it is).
   */
  public boolean recorded(TraceContext carrier) {
    return enabled() && carrier != null && carrier.sampled();
  }

  /** An unsampled carrier's context: its span as a non-recording remote parent, and itself. */
  private static Context unsampled(TraceContext carrier) {
    SpanContext parent =
        SpanContext.createFromRemoteParent(
            carrier.traceId(), carrier.spanId(), TraceFlags.getDefault(), TraceState.getDefault());
    if (!parent.isValid()) {
      return Context.root();
    }
    return Context.root().with(Span.wrap(parent)).with(UNSAMPLED, carrier);
  }

  /**
   * The context W3C headers ({@code traceparent}, {@code tracestate}; lower-case keys) describe.
   */
  public Context extract(Map<String, String> headers) {
    if (!enabled()) {
      return Context.root();
    }
    return propagator.extract(Context.root(), headers, MAP_GETTER);
  }

  /** The W3C headers for {@code context}'s span; empty when it has none or tracing is off. */
  public Map<String, String> headers(Context context) {
    Map<String, String> headers = new HashMap<>(2);
    if (!enabled()) {
      return headers;
    }
    TraceContext unsampled = context.get(UNSAMPLED);
    if (unsampled == null) {
      propagator.inject(context, headers, MAP_SETTER);
      return headers;
    }
    headers.put("traceparent", unsampled.traceparent());
    if (unsampled.tracestate() != null && !unsampled.tracestate().isEmpty()) {
      headers.put("tracestate", unsampled.tracestate());
    }
    return headers;
  }

  /** Starts a span under {@code parent} (the root context starts a new trace). */
  public Span startSpan(String name, SpanKind kind, Context parent) {
    SpanBuilder builder = tracer.spanBuilder(name).setSpanKind(kind).setParent(parent);
    return builder.startSpan();
  }

  /**
   * Starts a span under the context a message carried (a new trace when it carried none). Under an
   * unsampled carrier the result is the carrier's own span, non-recording: nothing is built for a
   * span that would be dropped.
   */
  public Span startSpan(String name, SpanKind kind, TraceContext parent) {
    Context context = contextOf(parent);
    if (context.get(UNSAMPLED) != null) {
      return Span.fromContext(context);
    }
    return startSpan(name, kind, context);
  }

  /**
   * Makes {@code context} current on this thread and puts its trace and span ids into the MDC,
   * until the returned scope closes (which restores what was there before).
   */
  public TraceScope enter(Context context) {
    if (!enabled()) {
      return TraceScope.NOOP;
    }
    return TraceScope.open(context, node);
  }

  /** {@link #enter(Context)} for a span. */
  public TraceScope enter(Span span) {
    return enabled() ? enter(Context.current().with(span)) : TraceScope.NOOP;
  }

  /**
   * An executor that runs each task of {@code delegate} inside {@code context}, MDC included: for
   * continuations of asynchronous work (futures completing on other threads) that must stay in the
   * trace. Returns {@code delegate} itself when tracing is off. A task a Pekko dispatcher would
   * batch (run on the scheduling thread) stays batchable ({@link ContextTask}).
   */
  public Executor executor(Context context, Executor delegate) {
    if (!enabled()) {
      return delegate;
    }
    return task -> delegate.execute(new ContextTask(this, context, task));
  }

  /**
   * Wraps {@code behavior} so that each {@link Traced} message carrying a context is handled in a
   * span named {@code "<module> <MessageType>"}, child of the sender's span, with the trace ids,
   * node, module and entity id in the MDC of every log line the handler writes. Returns {@code
   * behavior} itself when tracing is off. Each actor spawned from the result gets its own {@link
   * MessageTracing}.
   *
   * <p>The span covers the handler's decision, not work the actor finishes later (a journal write
   * of an event-sourced entity completes after the handler returns): such work takes its own span
   * from the context the message carried. An event-sourced entity also wraps its command handler
   * (use {@link #traced(MessageTracing, Behavior)} to share the instance), for the commands Pekko
   * stashes and hands over later.
   */
  public <T> Behavior<T> traced(String module, String entityId, Behavior<T> behavior) {
    if (!enabled()) {
      return behavior;
    }
    return Behaviors.intercept(
        () -> new TracingInterceptor<>(messageTracing(module, entityId)), behavior);
  }

  /**
   * {@link #traced(String, String, Behavior)} with a given {@link MessageTracing}, which the
   * behavior's event-sourced command handler shares; spawn the result once (one instance per
   * actor). Returns {@code behavior} itself when tracing is off.
   */
  public <T> Behavior<T> traced(MessageTracing messages, Behavior<T> behavior) {
    if (!messages.enabled()) {
      return behavior;
    }
    return Behaviors.intercept(() -> new TracingInterceptor<>(messages), behavior);
  }

  /**
   * A new {@link MessageTracing} for one actor of {@code module} (and {@code entityId}, or null);
   * one that only runs handlers when tracing is off.
   */
  public MessageTracing messageTracing(String module, String entityId) {
    return enabled() ? new MessageTracing(this, module, entityId) : MessageTracing.OFF;
  }

  private static SpanExporter exporter(TracingSettings settings) {
    return switch (settings.exporter()) {
      case ZIPKIN ->
          ZipkinSpanExporter.builder()
              .setSender(URLConnectionSender.create(settings.endpoint()))
              .build();
      case OTLP -> {
        OtlpHttpSpanExporterBuilder builder =
            OtlpHttpSpanExporter.builder().setEndpoint(settings.endpoint());
        settings.otlpHeaders().forEach(builder::addHeader);
        yield builder.build();
      }
      case NONE -> throw new IllegalStateException("no exporter for tracing off");
    };
  }

  /**
   * Tags every span with the node's address: Zipkin shows span attributes but not resource
   * attributes, and nodes sharing a host differ only by their cluster port.
   */
  private record InstanceAttribute(String node) implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
      span.setAttribute(SERVICE_INSTANCE, node);
    }

    @Override
    public boolean isStartRequired() {
      return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  }
}
