package dev.cohort.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class TracingTest {
  /** Spans go to a Zipkin endpoint nobody listens on: exporting fails in the background only. */
  private static final ActorTestKit on =
      ActorTestKit.create(
          "tracing-on",
          ConfigFactory.parseString(
                  """
                  cohort.observability.tracing.exporter = zipkin
                  cohort.observability.tracing.endpoint = "http://127.0.0.1:9/api/v2/spans"
                  """)
              .withFallback(ConfigFactory.load()));

  private static final ActorTestKit off = ActorTestKit.create("tracing-off");

  @AfterAll
  static void shutdown() {
    on.shutdownTestKit();
    off.shutdownTestKit();
  }

  record Probe(String key, TraceContext trace, ActorRef<Seen> replyTo) implements Traced {}

  /** What the actor saw while handling a message: its MDC and the context it would pass on. */
  record Seen(Map<String, String> mdc, TraceContext passedOn) {}

  private static Behavior<Probe> recorder(Tracing tracing) {
    return Behaviors.receiveMessage(
        probe -> {
          Map<String, String> mdc = MDC.getCopyOfContextMap();
          probe.replyTo().tell(new Seen(mdc == null ? Map.of() : mdc, tracing.capture()));
          return Behaviors.same();
        });
  }

  @Test
  void offIsTheDefaultAndCreatesNothing() {
    Tracing tracing = Tracing.get(off.system());
    assertEquals(TracingSettings.Exporter.NONE, tracing.settings().exporter());
    Behavior<Probe> behavior = recorder(tracing);
    assertSame(behavior, tracing.traced("test", "e-1", behavior));
    Span span = tracing.startSpan("root", SpanKind.SERVER, Context.root());
    try (TraceScope ignored = tracing.enter(span)) {
      assertNull(tracing.capture());
    }
  }

  @Test
  void tracedActorHandlesAMessageInAChildSpanWithIdsInTheMdc() {
    Tracing tracing = Tracing.get(on.system());
    ActorRef<Probe> actor = on.spawn(tracing.traced("test", "e-7", recorder(tracing)));
    TestProbe<Seen> replies = on.createTestProbe();
    Span root = tracing.startSpan("root", SpanKind.SERVER, Context.root());
    TraceContext sent;
    try (TraceScope ignored = tracing.enter(root)) {
      sent = tracing.capture();
    } finally {
      root.end();
    }
    actor.tell(new Probe("k", sent, replies.getRef()));
    Seen seen = replies.receiveMessage();

    String traceId = root.getSpanContext().getTraceId();
    assertEquals(traceId, sent.traceId());
    assertEquals(traceId, seen.mdc().get(Tracing.MDC_TRACE_ID));
    assertEquals(traceId, seen.passedOn().traceId(), "the actor's own messages continue the trace");
    assertNotEquals(
        root.getSpanContext().getSpanId(),
        seen.mdc().get(Tracing.MDC_SPAN_ID),
        "the actor handles the message in a span of its own");
    assertTrue(seen.passedOn().traceparent().contains(seen.mdc().get(Tracing.MDC_SPAN_ID)));
    assertEquals("test", seen.mdc().get(Tracing.MDC_MODULE));
    assertEquals("e-7", seen.mdc().get(Tracing.MDC_ENTITY_ID));
    assertEquals(tracing.node(), seen.mdc().get(Tracing.MDC_NODE));
  }

  @Test
  void messageWithoutContextPassesThroughUntraced() {
    Tracing tracing = Tracing.get(on.system());
    ActorRef<Probe> actor = on.spawn(tracing.traced("test", "e-8", recorder(tracing)));
    TestProbe<Seen> replies = on.createTestProbe();
    actor.tell(new Probe("k", null, replies.getRef()));
    Seen seen = replies.receiveMessage();
    assertNull(seen.mdc().get(Tracing.MDC_TRACE_ID));
    assertNull(seen.passedOn());
  }

  @Test
  void unsampledContextIsPassedOnAsItCameWithoutSpanOrMdc() {
    Tracing tracing = Tracing.get(on.system());
    ActorRef<Probe> actor = on.spawn(tracing.traced("test", "e-9", recorder(tracing)));
    TestProbe<Seen> replies = on.createTestProbe();
    TraceContext unsampled =
        new TraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "vendor=2");
    assertTrue(!unsampled.sampled() && !tracing.recorded(unsampled));
    actor.tell(new Probe("k", unsampled, replies.getRef()));
    Seen seen = replies.receiveMessage();
    assertNull(seen.mdc().get(Tracing.MDC_TRACE_ID), "no MDC for a trace nobody records");
    assertNull(seen.mdc().get(Tracing.MDC_MODULE));
    assertSame(unsampled, seen.passedOn(), "the caller's decision is carried on unchanged");

    Span child = tracing.startSpan("journal write", SpanKind.INTERNAL, unsampled);
    assertTrue(!child.isRecording() && !child.getSpanContext().isSampled());
    assertEquals("0af7651916cd43dd8448eb211c80319c", child.getSpanContext().getTraceId());
    Map<String, String> out = tracing.headers(tracing.contextOf(unsampled));
    assertEquals(unsampled.traceparent(), out.get("traceparent"));
    assertEquals("vendor=2", out.get("tracestate"));

    TraceContext sampled =
        new TraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null);
    assertTrue(sampled.sampled() && tracing.recorded(sampled));
    actor.tell(new Probe("k", sampled, replies.getRef()));
    Seen recorded = replies.receiveMessage();
    assertEquals(sampled.traceId(), recorded.mdc().get(Tracing.MDC_TRACE_ID));
    assertNotEquals(sampled, recorded.passedOn(), "a sampled hop passes on its own span");
  }

  @Test
  void incomingHeadersAreContinuedAndMalformedOnesIgnored() {
    Tracing tracing = Tracing.get(on.system());
    String parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    Context context = tracing.extract(Map.of("traceparent", parent, "tracestate", "vendor=1"));
    Span span = tracing.startSpan("child", SpanKind.SERVER, context);
    Map<String, String> out = tracing.headers(Context.root().with(span));
    span.end();
    assertTrue(out.get("traceparent").startsWith("00-0af7651916cd43dd8448eb211c80319c-"));
    assertEquals("vendor=1", out.get("tracestate"));
    assertEquals(Context.root(), tracing.contextOf(new TraceContext("garbage", null)));
  }

  @Test
  void settingsTakeEndpointsFromTheEnvironmentAndRejectNonsense() {
    Config zipkin =
        ConfigFactory.parseString("cohort.observability.tracing.exporter = zipkin")
            .withFallback(ConfigFactory.defaultReference());
    assertEquals(
        "http://zipkin:9411/api/v2/spans",
        TracingSettings.create(
                zipkin, Map.of("OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin:9411/api/v2/spans"))
            .endpoint());
    Config otlp =
        ConfigFactory.parseString("cohort.observability.tracing.exporter = otlp")
            .withFallback(ConfigFactory.defaultReference());
    TracingSettings fromBase =
        TracingSettings.create(
            otlp,
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://collector:4318/",
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=s3cret, x=y"));
    assertEquals("http://collector:4318/v1/traces", fromBase.endpoint());
    assertEquals(Map.of("api-key", "s3cret", "x", "y"), fromBase.otlpHeaders());
    assertEquals(
        TracingSettings.Exporter.NONE,
        TracingSettings.create(otlp, Map.of("OTEL_SDK_DISABLED", "true")).exporter());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            TracingSettings.create(
                ConfigFactory.parseString("cohort.observability.tracing.exporter = jaeger")
                    .withFallback(ConfigFactory.defaultReference()),
                Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            TracingSettings.create(
                ConfigFactory.parseString("cohort.observability.tracing.sampler-ratio = 1.5")
                    .withFallback(ConfigFactory.defaultReference()),
                Map.of()));
  }

  @Test
  void executorKeepsFutureCallbacksBatchableAndRunsThemInTheContext() {
    Tracing tracing = Tracing.get(on.system());
    Span span = tracing.startSpan("request", SpanKind.SERVER, Context.root());
    java.util.List<Runnable> submitted = new java.util.ArrayList<>();
    java.util.concurrent.Executor executor =
        tracing.executor(Context.root().with(span), submitted::add);
    String[] seen = new String[1];
    // A real Scala future's callback, as the gateway's routes schedule them.
    scala.concurrent.Promise<String> promise = scala.concurrent.Promise.apply();
    promise
        .future()
        .onComplete(
            result -> seen[0] = MDC.get(Tracing.MDC_TRACE_ID),
            scala.concurrent.ExecutionContext.fromExecutor(executor));
    promise.success("done");
    executor.execute(() -> {});
    span.end();

    assertTrue(
        submitted.get(0) instanceof org.apache.pekko.dispatch.Batchable b && b.isBatchable(),
        "a future callback stays batchable, so a dispatcher runs it without a thread hand-off");
    assertTrue(
        submitted.get(1) instanceof org.apache.pekko.dispatch.Batchable b && !b.isBatchable(),
        "a plain task stays unbatched");
    submitted.get(0).run();
    assertEquals(span.getSpanContext().getTraceId(), seen[0], "and runs inside the context");
  }
}
