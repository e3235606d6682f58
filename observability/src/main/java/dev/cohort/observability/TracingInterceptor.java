package dev.cohort.observability;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;

/**
 * Hands each message to its actor through the actor's {@link MessageTracing}: a {@link Traced}
 * message that carries a context is handled inside a span continuing it; other messages and signals
 * pass through untouched. Installed by {@link Tracing#traced} only when tracing is on. One instance
 * per actor; not shared.
 */
final class TracingInterceptor<T> extends BehaviorInterceptor<T, T> {
  private final MessageTracing messages;

  @SuppressWarnings("unchecked")
  TracingInterceptor(MessageTracing messages) {
    super((Class<T>) (Class<?>) Object.class);
    this.messages = messages;
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    return messages.handle(msg, () -> target.apply(ctx, msg));
  }
}
