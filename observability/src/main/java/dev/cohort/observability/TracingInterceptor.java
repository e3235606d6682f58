package dev.cohort.observability;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;

/**
 * Handles each {@link Traced} message that carries a context inside a span continuing it, with the
 * ids, node, module and entity id in the MDC; other messages and signals pass through untouched.
 * Installed by {@link Tracing#traced} only when tracing is on. One instance per actor; not shared.
 */
final class TracingInterceptor<T> extends BehaviorInterceptor<T, T> {
  private static final AttributeKey<String> MODULE = AttributeKey.stringKey("cohort.module");
  private static final AttributeKey<String> ENTITY_ID = AttributeKey.stringKey("cohort.entity_id");

  private final Tracing tracing;
  private final String[] mdcKeys;
  private final String[] mdcValues;
  private final String module;

  @SuppressWarnings("unchecked")
  TracingInterceptor(Tracing tracing, String module, String entityId) {
    super((Class<T>) (Class<?>) Object.class);
    this.tracing = tracing;
    this.module = module;
    this.mdcKeys = new String[] {Tracing.MDC_NODE, Tracing.MDC_MODULE, Tracing.MDC_ENTITY_ID};
    this.mdcValues = new String[] {tracing.node(), module, entityId};
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    if (!(msg instanceof Traced traced) || traced.trace() == null) {
      return target.apply(ctx, msg);
    }
    Span span =
        tracing
            .tracer()
            .spanBuilder(module + " " + msg.getClass().getSimpleName())
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(tracing.contextOf(traced.trace()))
            .setAttribute(MODULE, module)
            .setAttribute(ENTITY_ID, mdcValues[2])
            .startSpan();
    try (TraceScope scope = TraceScope.open(Context.root().with(span), mdcKeys, mdcValues)) {
      return target.apply(ctx, msg);
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw e;
    } finally {
      span.end();
    }
  }
}
