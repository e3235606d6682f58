package dev.cohort.observability;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.function.Supplier;

/**
 * How one actor handles the {@link Traced} messages it receives: each one that carries a context is
 * handled in a span of its own named {@code "<module> <MessageType>"}, child of the sender's span,
 * current on the thread and with its trace and span ids, the node, the module and the entity id in
 * the logging MDC; one whose context is unsampled is handled with that context current and nothing
 * more (no span, no MDC); other messages are handled as they are.
 *
 * <p>Two callers share one instance per actor: the interceptor {@link Tracing#traced} installs
 * (every message as it arrives) and, in an event-sourced entity, its command handler ({@code
 * dev.cohort.persistence.TracedCommands}). The second is needed because Pekko stashes the commands
 * an entity receives while it recovers or persists and hands them to the command handler later,
 * inside the delivery of another message (a journal response, or the next command), where the
 * interceptor's span is someone else's or none. Invariants: a message whose span is already current
 * (the interceptor delivering it straight to the handler) is not wrapped twice; any other traced
 * message gets its own span and MDC for the time of its handling, and the context it interrupted is
 * current again afterwards.
 *
 * <p>Not thread-safe: one instance per actor (per incarnation of a behavior that is spawned), used
 * on that actor's thread only.
 */
public final class MessageTracing {
  /** Tracing off: {@link #handle} only runs the handler. */
  static final MessageTracing OFF = new MessageTracing(null, null, null);

  private static final AttributeKey<String> MODULE = AttributeKey.stringKey("cohort.module");
  private static final AttributeKey<String> ENTITY_ID = AttributeKey.stringKey("cohort.entity_id");

  private final Tracing tracing;
  private final String module;
  private final String[] mdcKeys;
  private final String[] mdcValues;

  /** The message whose span is current while its handler runs; null between messages. */
  private Object current;

  MessageTracing(Tracing tracing, String module, String entityId) {
    this.tracing = tracing;
    this.module = module;
    this.mdcKeys = new String[] {Tracing.MDC_NODE, Tracing.MDC_MODULE, Tracing.MDC_ENTITY_ID};
    this.mdcValues = new String[] {tracing == null ? null : tracing.node(), module, entityId};
  }

  /** False when tracing is off: wrappers may then skip this instance altogether. */
  public boolean enabled() {
    return tracing != null;
  }

  /**
   * Runs {@code handler}, which handles {@code message}, in the message's own span when it carries
   * a context and is not already the message being handled.
   */
  public <R> R handle(Object message, Supplier<R> handler) {
    if (tracing == null
        || message == current
        || !(message instanceof Traced traced)
        || traced.trace() == null) {
      return handler.get();
    }
    if (!traced.trace().sampled()) {
      return passOn(message, traced.trace(), handler);
    }
    Span span =
        tracing
            .tracer()
            .spanBuilder(module + " " + message.getClass().getSimpleName())
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(tracing.contextOf(traced.trace()))
            .setAttribute(MODULE, module)
            .setAttribute(ENTITY_ID, mdcValues[2])
            .startSpan();
    Object outer = current;
    current = message;
    try (TraceScope scope = TraceScope.open(Context.root().with(span), mdcKeys, mdcValues)) {
      return handler.get();
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw e;
    } finally {
      current = outer;
      span.end();
    }
  }

  /**
   * Runs {@code handler} with an unsampled carrier current and nothing else: no span, no MDC, so
   * that what the handler sends carries the caller's decision on at the cost of one context attach.
   */
  private <R> R passOn(Object message, TraceContext trace, Supplier<R> handler) {
    Object outer = current;
    current = message;
    try (Scope ignored = tracing.contextOf(trace).makeCurrent()) {
      return handler.get();
    } finally {
      current = outer;
    }
  }
}
