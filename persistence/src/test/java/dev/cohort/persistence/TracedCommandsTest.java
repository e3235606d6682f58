package dev.cohort.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.observability.MessageTracing;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Traced;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadableSpan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * Commands an event-sourced entity receives while it recovers or persists are stashed by Pekko and
 * handled later inside another message's delivery; with {@link TracedCommands} each still runs in
 * its own span (one level below its sender's) with its ids in the MDC.
 */
class TracedCommandsTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          "traced-commands",
          PersistenceTestKitPlugin.getInstance()
              .config()
              .withFallback(
                  ConfigFactory.parseString(
                      """
                      pekko.actor.serialize-messages = off
                      pekko.persistence.testkit.events.serialize = off
                      cohort.observability.tracing.exporter = zipkin
                      cohort.observability.tracing.endpoint = "http://127.0.0.1:9/api/v2/spans"
                      """))
              .withFallback(ConfigFactory.load()));
  private static final Tracing tracing = Tracing.get(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  sealed interface Command extends NoSerializationVerificationNeeded {}

  record Write(String key, TraceContext trace, ActorRef<Seen> replyTo) implements Command, Traced {}

  /** Blocks the entity's thread until {@code release}, so that commands queue up behind it. */
  record Hold(CountDownLatch entered, CountDownLatch release, ActorRef<Done> replyTo)
      implements Command {}

  /** What the handler saw: the current span, its parent, and the MDC. */
  record Seen(
      String key,
      String traceId,
      String spanId,
      String parentSpanId,
      String mdcTraceId,
      String mdcSpanId,
      String mdcEntityId) {}

  /** Persists every write; answers with what its handler saw once the event is written. */
  static final class Recorder
      extends EventSourcedBehaviorWithEnforcedReplies<Command, String, List<String>> {
    private final MessageTracing messages;

    static Behavior<Command> create(String id) {
      MessageTracing messages = tracing.messageTracing("test", id);
      return tracing.traced(messages, new Recorder(id, messages));
    }

    private Recorder(String id, MessageTracing messages) {
      super(PersistenceId.ofUniqueId(id));
      this.messages = messages;
    }

    @Override
    public List<String> emptyState() {
      return List.of();
    }

    @Override
    public CommandHandlerWithReply<Command, String, List<String>> commandHandler() {
      var builder = newCommandHandlerWithReplyBuilder();
      builder
          .forAnyState()
          .onCommand(Write.class, (state, write) -> onWrite(write))
          .onCommand(Hold.class, (state, hold) -> onHold(hold));
      return TracedCommands.of(messages, builder.build());
    }

    private org.apache.pekko.persistence.typed.javadsl.ReplyEffect<String, List<String>> onWrite(
        Write write) {
      Span span = Span.current();
      Seen seen =
          new Seen(
              write.key(),
              span.getSpanContext().getTraceId(),
              span.getSpanContext().getSpanId(),
              span instanceof ReadableSpan readable
                  ? readable.getParentSpanContext().getSpanId()
                  : "",
              MDC.get(Tracing.MDC_TRACE_ID),
              MDC.get(Tracing.MDC_SPAN_ID),
              MDC.get(Tracing.MDC_ENTITY_ID));
      return Effect().persist(write.key()).thenReply(write.replyTo(), state -> seen);
    }

    private org.apache.pekko.persistence.typed.javadsl.ReplyEffect<String, List<String>> onHold(
        Hold hold) {
      hold.entered().countDown();
      try {
        assertTrue(hold.release().await(30, TimeUnit.SECONDS), "the test released the entity");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Effect().none().thenReply(hold.replyTo(), state -> Done.getInstance());
    }

    @Override
    public EventHandler<List<String>, String> eventHandler() {
      return newEventHandlerBuilder()
          .forAnyState()
          .onAnyEvent(
              (state, key) -> {
                List<String> next = new ArrayList<>(state);
                next.add(key);
                return next;
              });
    }
  }

  /** A sender's span, ended, and the context a message of it carries. */
  private record Sender(Span span, TraceContext context) {
    static Sender start(String name) {
      Span span = tracing.startSpan(name, SpanKind.SERVER, Context.root());
      try (TraceScope ignored = tracing.enter(span)) {
        return new Sender(span, tracing.capture());
      } finally {
        span.end();
      }
    }
  }

  private static void assertHandledInItsOwnSpan(Sender sender, Seen seen, String entityId) {
    String traceId = sender.span().getSpanContext().getTraceId();
    assertEquals(traceId, seen.traceId(), seen.key() + ": handled in its sender's trace");
    assertEquals(
        sender.span().getSpanContext().getSpanId(),
        seen.parentSpanId(),
        seen.key() + ": one span of its own, directly below the sender's");
    assertEquals(traceId, seen.mdcTraceId(), seen.key() + ": its trace id in the MDC");
    assertEquals(seen.spanId(), seen.mdcSpanId(), seen.key() + ": its span id in the MDC");
    assertEquals(entityId, seen.mdcEntityId());
  }

  @Test
  void commandsStashedWhileTheEntityPersistsRunInTheirOwnSpans() {
    ActorRef<Command> entity = kit.spawn(Recorder.create("persisting"));
    TestProbe<Done> held = kit.createTestProbe();
    TestProbe<Seen> seen = kit.createTestProbe();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    entity.tell(new Hold(entered, release, held.getRef()));
    try {
      assertTrue(entered.await(30, TimeUnit.SECONDS), "the entity took the hold");
      // Both writes wait in the mailbox: the first persists, so the second arrives while the
      // journal write is in flight and Pekko stashes it until the journal answers.
      Sender first = Sender.start("first");
      Sender second = Sender.start("second");
      entity.tell(new Write("a", first.context(), seen.getRef()));
      entity.tell(new Write("b", second.context(), seen.getRef()));
      release.countDown();
      held.expectMessage(Done.getInstance());
      Seen a = seen.receiveMessage(Duration.ofSeconds(30));
      Seen b = seen.receiveMessage(Duration.ofSeconds(30));
      assertEquals(List.of("a", "b"), List.of(a.key(), b.key()));
      assertHandledInItsOwnSpan(first, a, "persisting");
      assertHandledInItsOwnSpan(second, b, "persisting");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      release.countDown();
    }
  }

  @Test
  void commandsStashedWhileTheEntityRecoversRunInTheirOwnSpans() {
    ActorRef<Command> entity = kit.spawn(Recorder.create("recovering"));
    TestProbe<Seen> seen = kit.createTestProbe();
    Sender sender = Sender.start("during-recovery");
    // Sent at once: the entity is still reading its journal and stashes the command.
    entity.tell(new Write("r", sender.context(), seen.getRef()));
    assertHandledInItsOwnSpan(sender, seen.receiveMessage(Duration.ofSeconds(30)), "recovering");
  }
}
