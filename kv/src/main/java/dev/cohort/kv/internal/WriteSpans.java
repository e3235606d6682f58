package dev.cohort.kv.internal;

import dev.cohort.observability.TraceContext;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spans of one partition write batch, for the writes in it that carry a trace: per write, the
 * partition's command handling ({@code kv partition write}, child of the sender's span), under it
 * the journal write ({@code kv journal write}, with the batch's command and event counts: the group
 * commit of this partition) and the reply ({@code kv reply}). Writes without a recorded trace
 * (tracing off, an untraced caller, or an unsampled trace) cost nothing: {@link #start} returns
 * {@link #NONE}.
 *
 * <p>Used from the partition's actor thread only: {@link #start} and {@link #persisting} in the
 * command handler, {@link #written} and {@link #reply} in the callback after the journal write.
 */
final class WriteSpans {
  static final WriteSpans NONE = new WriteSpans(null, List.of(), Map.of());

  /** The partition's logger: its lines in a trace carry the trace's ids. */
  private static final Logger log = LoggerFactory.getLogger(KvPartition.class);

  private final Tracing tracing;
  private final List<Span> handling;
  private final Map<ActorRef<KvPartition.Reply>, Span> byReplyTo;
  private final List<Span> journal = new ArrayList<>();

  private WriteSpans(
      Tracing tracing, List<Span> handling, Map<ActorRef<KvPartition.Reply>, Span> byReplyTo) {
    this.tracing = tracing;
    this.handling = handling;
    this.byReplyTo = byReplyTo;
  }

  /** Opens the command-handling span of every traced write in {@code commands}. */
  static WriteSpans start(
      Tracing tracing, String entityId, List<KvPartition.WriteCommand> commands) {
    if (!tracing.enabled()) {
      return NONE;
    }
    List<Span> handling = null;
    Map<ActorRef<KvPartition.Reply>, Span> byReplyTo = null;
    for (KvPartition.WriteCommand command : commands) {
      TraceContext trace = command instanceof KvPartition.Txn txn ? txn.trace() : null;
      if (!tracing.recorded(trace)) {
        continue;
      }
      if (handling == null) {
        handling = new ArrayList<>();
        byReplyTo = new HashMap<>();
      }
      Span span =
          tracing
              .tracer()
              .spanBuilder("kv partition write")
              .setSpanKind(SpanKind.INTERNAL)
              .setParent(tracing.contextOf(trace))
              .setAttribute("cohort.entity_id", entityId)
              .setAttribute("kv.batch.commands", commands.size())
              .startSpan();
      handling.add(span);
      byReplyTo.put(command.replyTo(), span);
    }
    return handling == null ? NONE : new WriteSpans(tracing, handling, byReplyTo);
  }

  /** The batch was decided and its {@code events} go to the journal in one write. */
  void persisting(int events, int commands) {
    for (Span parent : handling) {
      journal.add(
          tracing
              .tracer()
              .spanBuilder("kv journal write")
              .setParent(Context.root().with(parent))
              .setAttribute("kv.journal.events", events)
              .setAttribute("kv.batch.commands", commands)
              .startSpan());
    }
  }

  /** Nothing to write: the answers come from memory. */
  void answeredFromMemory() {
    handling.forEach(Span::end);
  }

  /** The journal write completed at {@code revision}: ends its spans, logs it in each trace. */
  void written(long revision) {
    for (Span span : journal) {
      span.setAttribute("kv.revision", revision);
      if (log.isDebugEnabled()) {
        try (TraceScope ignored = tracing.enter(span)) {
          log.debug("journal write done at revision {}", revision);
        }
      }
      span.end();
    }
  }

  /** Sends one reply inside its write's {@code kv reply} span (as is, for an untraced write). */
  void reply(ActorRef<KvPartition.Reply> replyTo, KvPartition.Reply reply) {
    Span parent = byReplyTo.get(replyTo);
    if (parent == null) {
      replyTo.tell(reply);
      return;
    }
    Span span =
        tracing.tracer().spanBuilder("kv reply").setParent(Context.root().with(parent)).startSpan();
    try (TraceScope ignored = tracing.enter(span)) {
      replyTo.tell(reply);
    } finally {
      span.end();
      parent.end();
    }
  }
}
