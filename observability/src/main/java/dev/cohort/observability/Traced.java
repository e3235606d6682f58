package dev.cohort.observability;

/**
 * A message that may continue a trace. Implementations are records with a component {@code
 * TraceContext trace}, set by the sender from {@link Tracing#capture()} (null when tracing is off
 * or there is no current span). Actors wrapped by {@link Tracing#traced} handle such a message with
 * its context current and its ids in the logging MDC.
 */
public interface Traced {
  /** The sender's trace context, or null. */
  TraceContext trace();
}
