package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ProducerRecord;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Trace context in record headers, as Kafka's OpenTelemetry instrumentation carries it. A produce
 * made while a span is current runs in a {@code PRODUCER} span ({@code log produce <topic>}) whose
 * W3C {@code traceparent} (and {@code tracestate}) every record gets as headers, unless the
 * producer set its own. A fetch that returns records is a {@code CONSUMER} span ({@code log fetch
 * <topic>}) with a link to each record's producing span (at most {@link #MAX_LINKS}): a link, not a
 * parent, because one fetch carries records of many traces.
 *
 * <p>With tracing off, or no current span on produce, nothing is added and nothing is created. An
 * unsampled produce adds no header either: its trace is never exported, so a consumer's link to it
 * would lead nowhere, and the header made every 100-byte record about 70 bytes longer (4 % of a
 * produce's cost at every sampler ratio, observability README). Thread-safe.
 */
final class RecordTracing {
  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";
  static final int MAX_LINKS = 32;

  private final Tracing tracing;

  RecordTracing(Tracing tracing) {
    this.tracing = tracing;
  }

  /** A produce's span and the headers its records carry. */
  record Produce(Span span, TraceContext carrier) {}

  /** The produce span of {@code records} to {@code topic}, or null when there is no trace. */
  Produce startProduce(String topic, int records) {
    if (!tracing.enabled() || !Span.current().getSpanContext().isSampled()) {
      return null;
    }
    Span span =
        tracing
            .tracer()
            .spanBuilder("log produce " + topic)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute("messaging.system", "cohort")
            .setAttribute("messaging.destination.name", topic)
            .setAttribute("messaging.batch.message_count", records)
            .startSpan();
    return new Produce(span, tracing.capture(Context.current().with(span)));
  }

  /** {@code records} with the produce's headers added where the producer set no traceparent. */
  static List<ProducerRecord> withHeaders(List<ProducerRecord> records, Produce produce) {
    if (produce == null || produce.carrier() == null) {
      return List.copyOf(records);
    }
    // The produce's headers, built once: most records have none of their own and share this
    // map (immutable, like the records; the bytes are only read when the batch is encoded).
    Map<String, byte[]> own = new HashMap<>(2);
    own.put(TRACEPARENT, produce.carrier().traceparent().getBytes(StandardCharsets.US_ASCII));
    if (produce.carrier().tracestate() != null && !produce.carrier().tracestate().isEmpty()) {
      own.put(TRACESTATE, produce.carrier().tracestate().getBytes(StandardCharsets.US_ASCII));
    }
    Map<String, byte[]> shared = Map.copyOf(own);
    List<ProducerRecord> traced = new ArrayList<>(records.size());
    for (ProducerRecord r : records) {
      if (r.headers().containsKey(TRACEPARENT)) {
        traced.add(r);
        continue;
      }
      Map<String, byte[]> headers = shared;
      if (!r.headers().isEmpty()) {
        headers = new HashMap<>(r.headers());
        headers.putAll(shared);
      }
      traced.add(
          new ProducerRecord(r.topic(), r.partition(), r.key(), r.value(), headers, r.timestamp()));
    }
    return List.copyOf(traced);
  }

  /** Ends a produce span (null: none), an error when the produce failed. */
  static void end(Produce produce, Throwable failure) {
    if (produce == null) {
      return;
    }
    if (failure != null) {
      produce.span().setStatus(StatusCode.ERROR, String.valueOf(failure));
    }
    produce.span().end();
  }

  /** Whether tracing is on (a fetch of stored batches decodes their headers only then). */
  boolean enabled() {
    return tracing.enabled();
  }

  /** Records a fetch of {@code records} from {@code topic} as a span linking to their producers. */
  void fetched(String topic, List<ConsumerRecord> records) {
    if (!tracing.enabled() || records.isEmpty()) {
      return;
    }
    SpanBuilder builder =
        tracing
            .tracer()
            .spanBuilder("log fetch " + topic)
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute("messaging.system", "cohort")
            .setAttribute("messaging.destination.name", topic)
            .setAttribute("messaging.batch.message_count", records.size());
    int links = 0;
    for (ConsumerRecord r : records) {
      byte[] parent = r.headers().get(TRACEPARENT);
      if (parent == null) {
        continue;
      }
      SpanContext producer =
          Span.fromContext(
                  tracing.contextOf(
                      new TraceContext(new String(parent, StandardCharsets.US_ASCII), null)))
              .getSpanContext();
      if (producer.isValid()) {
        builder.addLink(producer);
        if (++links == MAX_LINKS) {
          break;
        }
      }
    }
    if (links > 0) {
      builder.startSpan().end();
    }
  }
}
