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

  /**
   * Batchable exactly when the task is, by the rule Pekko's dispatchers apply to it ({@code
   * BatchingExecutor.batchable}): Pekko's own marker, or Scala 2.13's {@code
   * scala.concurrent.Batchable}, which every future callback ({@code Promise.Transformation})
   * carries. Hazard: the earlier rule looked for Scala 2.12's {@code OnCompleteRunnable}, which no
   * 2.13 callback implements, so every callback of a traced request was handed off to another
   * thread; that was most of the cost of tracing at a sampler ratio of 0.01.
   */
  @Override
  public boolean isBatchable() {
    return task instanceof Batchable batchable
        ? batchable.isBatchable()
        : task instanceof scala.concurrent.Batchable;
  }

  @Override
  public void run() {
    try (TraceScope ignored = tracing.enter(context)) {
      task.run();
    }
  }
}
