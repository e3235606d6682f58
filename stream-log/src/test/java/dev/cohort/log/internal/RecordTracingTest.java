package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.log.ProducerRecord;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** traceparent in record headers: added in a trace, never over the producer's own, none without. */
class RecordTracingTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          "record-tracing",
          ConfigFactory.parseString(
                  """
                  cohort.observability.tracing.exporter = zipkin
                  cohort.observability.tracing.endpoint = "http://127.0.0.1:9/api/v2/spans"
                  """)
              .withFallback(ConfigFactory.load()));
  private static final Tracing tracing = Tracing.get(kit.system());
  private static final RecordTracing records = new RecordTracing(tracing);

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void aProduceInATraceStampsItsSpanIntoRecordsWithoutOne() {
    ProducerRecord plain = ProducerRecord.of("t", "k", "v");
    byte[] own =
        "00-11111111111111111111111111111111-2222222222222222-01"
            .getBytes(StandardCharsets.US_ASCII);
    ProducerRecord stamped =
        new ProducerRecord("t", null, null, new byte[] {1}, Map.of("traceparent", own), null);
    ProducerRecord other =
        new ProducerRecord("t", null, null, new byte[] {2}, Map.of("x", new byte[] {7}), null);
    Span caller = tracing.startSpan("caller", SpanKind.SERVER, Context.root());
    RecordTracing.Produce produce;
    try (TraceScope ignored = tracing.enter(caller)) {
      produce = records.startProduce("t", 2);
    }
    assertNotNull(produce);
    List<ProducerRecord> out = RecordTracing.withHeaders(List.of(plain, stamped, other), produce);
    RecordTracing.end(produce, null);
    caller.end();

    String header = new String(out.get(0).headers().get("traceparent"), StandardCharsets.US_ASCII);
    assertEquals(caller.getSpanContext().getTraceId(), header.substring(3, 35));
    assertEquals(
        produce.span().getSpanContext().getSpanId(),
        header.substring(36, 52),
        "the record carries the produce span, the consumer's link target");
    assertArrayEquals(
        own, out.get(1).headers().get("traceparent"), "the producer's own header wins");
    assertArrayEquals(plain.value(), out.get(0).value());
    assertArrayEquals(new byte[] {7}, out.get(2).headers().get("x"), "the producer's headers stay");
    assertArrayEquals(
        out.get(0).headers().get("traceparent"),
        out.get(2).headers().get("traceparent"),
        "and the produce's traceparent joins them");
  }

  @Test
  void withoutACurrentSpanNothingIsAdded() {
    assertNull(records.startProduce("t", 1));
    ProducerRecord plain = ProducerRecord.of("t", "k", "v");
    assertTrue(RecordTracing.withHeaders(List.of(plain), null).getFirst().headers().isEmpty());
  }
}
