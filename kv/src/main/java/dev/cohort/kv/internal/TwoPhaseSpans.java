package dev.cohort.kv.internal;

import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The spans of one two-phase commit, kept by its coordinator: a span per phase ({@code kv 2pc
 * prepare}, then {@code kv 2pc commit} or {@code kv 2pc abort}), children of the caller's span, and
 * under each a span per participant from the message sent to its answer. A transaction without a
 * trace (tracing off, an untraced caller, or a coordinator recovered from the journal, which does
 * not keep the context) uses {@link #NONE}, which records nothing.
 *
 * <p>Used from the coordinator's actor thread only.
 */
class TwoPhaseSpans {
  static final TwoPhaseSpans NONE = new TwoPhaseSpans();

  private TwoPhaseSpans() {}

  /** The spans of transaction {@code txnId}, continuing {@code trace}. */
  static TwoPhaseSpans start(Tracing tracing, TraceContext trace, String txnId) {
    if (!tracing.enabled() || trace == null) {
      return NONE;
    }
    return new Recording(tracing, tracing.contextOf(trace), txnId);
  }

  void preparing(List<TxnCoordinator.Participant> participants) {}

  void voted(String entityId, boolean vote) {}

  void decided(boolean commit) {}

  void sending(String entityId) {}

  void acknowledged(String entityId, boolean done) {}

  void ended() {}

  private static final class Recording extends TwoPhaseSpans {
    private final Tracing tracing;
    private final Context parent;
    private final String txnId;
    private Span phase;
    private String phaseName;
    private final Map<String, Span> participants = new HashMap<>();

    Recording(Tracing tracing, Context parent, String txnId) {
      this.tracing = tracing;
      this.parent = parent;
      this.txnId = txnId;
    }

    @Override
    void preparing(List<TxnCoordinator.Participant> all) {
      phase = phaseSpan("kv 2pc prepare", all.size());
      for (TxnCoordinator.Participant p : all) {
        participants.put(p.entityId(), participantSpan("kv 2pc prepare", p.entityId()));
      }
    }

    @Override
    void voted(String entityId, boolean vote) {
      endParticipant(entityId, vote);
    }

    @Override
    void decided(boolean commit) {
      participants.values().forEach(Span::end); // votes that no longer count
      participants.clear();
      endPhase();
      phase = phaseSpan(commit ? "kv 2pc commit" : "kv 2pc abort", -1);
    }

    @Override
    void sending(String entityId) {
      if (phase != null && !participants.containsKey(entityId)) {
        participants.put(entityId, participantSpan(phaseName, entityId));
      }
    }

    @Override
    void acknowledged(String entityId, boolean done) {
      endParticipant(entityId, done);
    }

    @Override
    void ended() {
      participants.values().forEach(Span::end);
      participants.clear();
      endPhase();
    }

    private Span phaseSpan(String name, int count) {
      phaseName = name;
      var builder =
          tracing.tracer().spanBuilder(name).setParent(parent).setAttribute("kv.txn.id", txnId);
      if (count >= 0) {
        builder.setAttribute("kv.txn.participants", count);
      }
      return builder.startSpan();
    }

    private Span participantSpan(String name, String entityId) {
      return tracing
          .tracer()
          .spanBuilder(name + " " + entityId)
          .setParent(Context.root().with(phase))
          .setAttribute("cohort.entity_id", entityId)
          .startSpan();
    }

    private void endParticipant(String entityId, boolean ok) {
      Span span = participants.remove(entityId);
      if (span != null) {
        if (!ok) {
          span.setStatus(StatusCode.ERROR);
        }
        span.end();
      }
    }

    private void endPhase() {
      if (phase != null) {
        phase.end();
        phase = null;
      }
    }
  }
}
