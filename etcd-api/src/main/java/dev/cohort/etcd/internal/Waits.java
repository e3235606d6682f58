package dev.cohort.etcd.internal;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Cancellable;

/**
 * Bounds a {@link KeyQueue.Wait} by the calling client: its gRPC cancellation, its deadline, or
 * {@code cohort.etcd.max-wait} when it set none. Stateless.
 */
final class Waits {
  private Waits() {}

  static KeyQueue.Wait forCurrentCall(EtcdStore store) {
    KeyQueue.Wait wait = new KeyQueue.Wait();
    Context context = Context.current();
    Deadline deadline = context.getDeadline();
    Duration bound =
        deadline == null
            ? store.settings().maxWait()
            : Duration.ofMillis(Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS)));
    Cancellable timer =
        store
            .system()
            .scheduler()
            .scheduleOnce(
                bound,
                () ->
                    wait.giveUp(
                        Status.DEADLINE_EXCEEDED
                            .withDescription("cohort: gave up waiting after " + bound)
                            .asRuntimeException()),
                store.system().executionContext());
    context.addListener(
        c ->
            wait.giveUp(
                Status.CANCELLED
                    .withDescription("cohort: the client cancelled")
                    .asRuntimeException()),
        Runnable::run);
    wait.done.whenComplete((v, f) -> timer.cancel());
    return wait;
  }
}
