package dev.cohort.observability;

import io.opentelemetry.context.Context;
import org.apache.pekko.dispatch.Batchable;

/**
 * One task of {@link Tracing#executor}: runs its task inside a trace context, MDC included, and
 * keeps the task's batchability. A Pekko dispatcher runs a batchable task (a Scala future's
 * callback is one) on the thread that scheduled it, right after the current task; a plain wrapping
 * {@code Runnable} is not batchable, so every continuation of a traced request would become a hand-
 * off to another worker thread (a queue push and a thread wake-up each), whatever the sampler
 * decided.
 */
record ContextTask(Tracing tracing, Context context, Runnable task) implements Batchable {

  /** Batchable exactly when the task is, by the rule Pekko's dispatchers apply to it. */
  @Override
  public boolean isBatchable() {
    return task instanceof Batchable batchable
        ? batchable.isBatchable()
        : task instanceof scala.concurrent.OnCompleteRunnable;
  }

  @Override
  public void run() {
    try (TraceScope ignored = tracing.enter(context)) {
      task.run();
    }
  }
}
