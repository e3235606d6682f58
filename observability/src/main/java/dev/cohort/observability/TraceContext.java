package dev.cohort.observability;

/**
 * The trace context a message carries from one actor to the next, on one node or across nodes: the
 * W3C {@code traceparent} and {@code tracestate} header values of the span that sent it.
 *
 * <p>This is the one carrier every module uses. A message that continues a trace declares a
 * component {@code TraceContext trace} and implements {@link Traced}; {@link Tracing#traced} then
 * makes the context current while its actor handles the message. The record is registered for Kryo
 * by the persistence module (id 102), and records are written field by field there, so adding the
 * component to an existing message or event is compatible: bytes written before it read as {@code
 * null}, meaning "no trace".
 *
 * <p>The values are kept in their header form and parsed only where they are used, so a malformed
 * value from an old or foreign writer is treated as no context instead of failing a message.
 */
public record TraceContext(String traceparent, String tracestate) {

  /** The trace id (32 hex digits) of {@link #traceparent}, or empty when it is malformed. */
  public String traceId() {
    return wellFormed() ? traceparent.substring(3, 35) : "";
  }

  /** The parent span id (16 hex digits) of {@link #traceparent}, or empty when it is malformed. */
  public String spanId() {
    return wellFormed() ? traceparent.substring(36, 52) : "";
  }

  /**
   * True when the sender recorded its span: the {@code sampled} bit of the trace flags is set. An
   * unsampled context is still carried, so that every hop after it keeps the caller's decision (the
   * sampler is parent-based), but nothing under it is recorded or exported.
   */
  public boolean sampled() {
    return wellFormed() && (Character.digit(traceparent.charAt(54), 16) & 1) == 1;
  }

  /** True when {@link #traceparent} has the W3C version-00 shape {@code 00-<32>-<16>-<2>}. */
  public boolean wellFormed() {
    return traceparent != null
        && traceparent.length() == 55
        && traceparent.charAt(2) == '-'
        && traceparent.charAt(35) == '-'
        && traceparent.charAt(52) == '-';
  }
}
