package dev.cohort.persistence;

import dev.cohort.observability.MessageTracing;
import dev.cohort.observability.Tracing;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;

/**
 * An event-sourced entity's command handler that runs each traced command in that command's own
 * span and logging MDC, also when Pekko stashed the command while the entity recovered or persisted
 * and hands it over later, inside another message's delivery where {@link Tracing#traced}'s
 * interceptor cannot see it. The entity passes the {@link MessageTracing} it is wrapped with
 * ({@link Tracing#traced(MessageTracing, org.apache.pekko.actor.typed.Behavior)}), so a command
 * delivered straight to the handler keeps the interceptor's span and gets no second one.
 *
 * <p>With tracing off the handler is returned as it is. The span covers the handler's decision;
 * effects that run after the journal write (replies, side effects) take their own spans from the
 * command's context where they need one.
 */
public final class TracedCommands {
  private TracedCommands() {}

  /** {@code handler}, run inside each traced command's own span. */
  public static <C, E, S> CommandHandlerWithReply<C, E, S> of(
      MessageTracing messages, CommandHandlerWithReply<C, E, S> handler) {
    if (!messages.enabled()) {
      return handler;
    }
    return (state, command) -> messages.handle(command, () -> handler.apply(state, command));
  }

  /** {@code handler}, run inside each traced command's own span. */
  public static <C, E, S> CommandHandler<C, E, S> of(
      MessageTracing messages, CommandHandler<C, E, S> handler) {
    if (!messages.enabled()) {
      return handler;
    }
    return (state, command) -> messages.handle(command, () -> handler.apply(state, command));
  }
}
