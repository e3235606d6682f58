package dev.cohort.persistence;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Answers of Pekko asks as plain {@link CompletableFuture}s whose continuations do not go through
 * {@code ForkJoinPool.commonPool()}.
 *
 * <p>Hazard this removes: Pekko's javadsl ({@code AskPattern.ask}, {@code EntityRef.ask}, {@code
 * Patterns.ask}) hands out Scala 2.13's converter future, which turns every plain continuation
 * ({@code thenApply}, {@code thenCompose}, {@code whenComplete}, {@code handle}, …) into its {@code
 * *Async} twin on the default executor, the common pool. So every step after an ask was a task on
 * the common pool, which has a single worker on a 2-core machine: a thread hand-off per step, all
 * of a node's ask continuations in one queue, and a stall of every one of them while an embedding
 * application blocks a common-pool thread (etcd puts waited for their ask timeout while a test
 * client blocked in a gRPC call on the common pool).
 *
 * <p>{@link #on} completes a plain future on the executor given (the actor system's dispatcher):
 * the caller's continuations then run there, not on the thread of the actor that replied, and never
 * on the common pool.
 */
public final class AskStages {
  private AskStages() {}

  /** {@code answer} completed on {@code executor}; its continuations run where it completes. */
  public static <T> CompletableFuture<T> on(CompletionStage<T> answer, Executor executor) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    // The two-argument *Async form is the one the converter future does not redirect.
    answer.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) {
            plain.completeExceptionally(failure);
          } else {
            plain.complete(value);
          }
        },
        executor);
    return plain;
  }

  /**
   * {@code context.ask} as Pekko's, minus the common-pool hop: asks {@code target} within {@code
   * timeout} and tells the actor {@code applyToResponse}'s message (a reply of another type than
   * {@code responseClass} arrives as a failure, as an unexpected reply does in Pekko's).
   */
  public static <T, Req, Res> void ask(
      ActorContext<T> context,
      Class<Res> responseClass,
      RecipientRef<Req> target,
      Duration timeout,
      Function<ActorRef<Res>, Req> createRequest,
      BiFunction<Res, Throwable, T> applyToResponse) {
    ActorRef<T> self = context.getSelf();
    AskPattern.<Req, Res>ask(target, createRequest::apply, timeout, context.getSystem().scheduler())
        .whenCompleteAsync(
            (Object reply, Throwable failure) -> {
              // erased: a reply of another type gets here typed as Res all the same
              if (failure == null && !responseClass.isInstance(reply)) {
                failure =
                    new ClassCastException(
                        "expected a " + responseClass.getName() + " reply, got " + reply);
              }
              self.tell(
                  applyToResponse.apply(
                      failure == null ? responseClass.cast(reply) : null, failure));
            },
            Runnable::run);
  }
}
