package dev.cohort.observability;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import org.slf4j.MDC;

/**
 * A trace context made current on one thread, with its ids (and the node, module and entity id
 * where given) in the SLF4J MDC. Closing it restores the previous context and MDC values; scopes
 * must close in reverse order of opening, on the thread that opened them (try-with-resources).
 *
 * <p>An unsampled context is made current without MDC entries: its trace is never exported, so a
 * log line could name a trace id no backend knows, and the MDC's puts and removes were the largest
 * part of the per-hop cost of tracing (observability README). Its log lines read like those of an
 * untraced request.
 */
public final class TraceScope implements AutoCloseable {
  private static final String[] NO_KEYS = new String[0];
  static final TraceScope NOOP = new TraceScope(null, NO_KEYS, NO_KEYS);

  private final Scope scope;
  private final String[] keys;
  private final String[] previous;

  private TraceScope(Scope scope, String[] keys, String[] previous) {
    this.scope = scope;
    this.keys = keys;
    this.previous = previous;
  }

  static TraceScope open(Context context, String node) {
    return open(context, new String[] {Tracing.MDC_NODE}, new String[] {node});
  }

  /** Opens {@code context} and puts each {@code extraKeys[i] = extraValues[i]} into the MDC. */
  static TraceScope open(Context context, String[] extraKeys, String[] extraValues) {
    SpanContext span = Span.fromContext(context).getSpanContext();
    if (span.isValid() && !span.isSampled()) {
      return new TraceScope(context.makeCurrent(), NO_KEYS, NO_KEYS);
    }
    boolean ids = span.isValid();
    int n = extraKeys.length + (ids ? 2 : 0);
    String[] keys = new String[n];
    String[] values = new String[n];
    System.arraycopy(extraKeys, 0, keys, 0, extraKeys.length);
    System.arraycopy(extraValues, 0, values, 0, extraValues.length);
    if (ids) {
      keys[n - 2] = Tracing.MDC_TRACE_ID;
      values[n - 2] = span.getTraceId();
      keys[n - 1] = Tracing.MDC_SPAN_ID;
      values[n - 1] = span.getSpanId();
    }
    String[] previous = new String[n];
    for (int i = 0; i < n; i++) {
      previous[i] = MDC.get(keys[i]);
      if (values[i] != null) {
        MDC.put(keys[i], values[i]);
      }
    }
    return new TraceScope(context.makeCurrent(), keys, previous);
  }

  @Override
  public void close() {
    if (scope == null) {
      return;
    }
    scope.close();
    for (int i = keys.length - 1; i >= 0; i--) {
      if (previous[i] == null) {
        MDC.remove(keys[i]);
      } else {
        MDC.put(keys[i], previous[i]);
      }
    }
  }
}
