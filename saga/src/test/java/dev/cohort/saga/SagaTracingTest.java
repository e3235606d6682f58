package dev.cohort.saga;

import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import dev.cohort.saga.internal.SagaInstanceEntity;
import dev.cohort.testkit.Await;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A saga started inside a trace runs its steps as child spans of that trace: HTTP participants
 * receive a traceparent of the caller's trace (each attempt its own span), also after the instance
 * was stopped mid-step and resumed from its journal, which keeps the starter's context. Spans go to
 * a Zipkin endpoint nobody listens on; only the propagated context is checked here.
 */
class SagaTracingTest {
  private static final SagaTestKit node =
      SagaTestKit.start(
          "SagaTracingTest",
          """
          cohort.observability.tracing.exporter = zipkin
          cohort.observability.tracing.endpoint = "http://127.0.0.1:9/api/v2/spans"
          """);
  private static final Participant participant = Participant.start();

  @AfterAll
  static void shutdown() {
    participant.close();
    node.close();
  }

  @Test
  void stepsContinueTheStartersTraceAlsoAfterTheInstanceResumes() {
    String definition =
        """
        {"steps":[
          {"name":"reserve",
           "action":{"http":{"method":"POST","url":"%1$s/reserve-slow","body":{"saga":"${sagaId}"}}},
           "noCompensation":true, "timeoutMs":5000},
          {"name":"confirm","action":{"http":{"method":"PUT","url":"%1$s/confirm/${sagaId}"}}}
        ]}
        """
            .formatted(participant.url(""));
    join(node.sagas.defineJson("traced", definition));
    String id = "traced-1";
    participant.slowNext("/reserve-slow", 3000);
    Tracing tracing = Tracing.get(node.kit.system());
    Span root = tracing.startSpan("client", SpanKind.CLIENT, Context.root());
    try (TraceScope ignored = tracing.enter(root)) {
      join(node.sagas.start("traced", id, Map.of()));
    } finally {
      root.end();
    }
    String traceId = root.getSpanContext().getTraceId();
    Await.await(
        Duration.ofSeconds(10),
        () -> participant.requests("/reserve-slow").stream().anyMatch(r -> r.key().startsWith(id)));
    // the entity stops while its attempt runs; it resumes from the journal and runs it again
    ClusterSharding.get(node.kit.system())
        .entityRefFor(SagaInstanceEntity.ENTITY_TYPE_KEY, id)
        .tell(SagaInstanceEntity.Stop.INSTANCE);
    Await.await(
        Duration.ofSeconds(20),
        () ->
            join(node.sagas.list(Optional.of("traced"), Optional.of(SagaState.COMPLETED))).stream()
                .anyMatch(s -> s.id().equals(id)));

    List<Participant.Request> calls =
        participant.requests.stream()
            .filter(r -> r.key() != null && r.key().startsWith(id + ":"))
            .toList();
    assertEquals(3, calls.size(), calls.toString());
    for (Participant.Request call : calls) {
      assertNotNull(call.traceparent(), call.toString());
      assertEquals(traceId, call.traceparent().substring(3, 35), "same trace: " + call);
      assertNotEquals(
          root.getSpanContext().getSpanId(),
          call.traceparent().substring(36, 52),
          "each attempt is a span of its own under the saga's trace");
    }
    assertEquals(3, calls.stream().map(c -> c.traceparent().substring(36, 52)).distinct().count());
    assertTrue(calls.get(1).path().equals("/reserve-slow"), "the resumed attempt: " + calls);
  }
}
