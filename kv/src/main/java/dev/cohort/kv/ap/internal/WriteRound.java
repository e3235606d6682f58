package dev.cohort.kv.ap.internal;

import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.Consistency;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The acknowledgements of one coordinated write: completes with the newest previous entry once
 * {@code required} replicas acknowledged, or fails with {@code consistency_unavailable} as soon as
 * too many replicas failed for the level to be reached. Decides once; later answers change nothing.
 * Thread-safe (synchronized: answers arrive on several threads).
 */
final class WriteRound {
  private final String what;
  private final Consistency consistency;
  private final int required;
  private final List<String> replicas;
  private final int sent;
  private final ApEntry entry;
  private final CompletableFuture<ApEntry> result = new CompletableFuture<>();
  private int acks;
  private int failures;
  private ApEntry previous;

  WriteRound(
      String what,
      Consistency consistency,
      int required,
      List<String> replicas,
      int sent,
      ApEntry entry) {
    this.what = what;
    this.consistency = consistency;
    this.required = required;
    this.replicas = replicas;
    this.sent = sent;
    this.entry = entry;
  }

  CompletableFuture<ApEntry> result() {
    return result;
  }

  /**
   * A replica acknowledged. If its entry beat the write and {@code offsetCheck} objects to that
   * entry (stamped beyond the maximum clock offset), the write fails with that error instead.
   */
  synchronized void ack(ApReplica.WriteAck ack, Function<ApEntry, KvException> offsetCheck) {
    if (result.isDone()) {
      return;
    }
    if (!ack.current().equals(entry) && ack.current().beats(entry)) {
      KvException offset = offsetCheck.apply(ack.current());
      if (offset != null) {
        result.completeExceptionally(offset);
        return;
      }
    }
    acks++;
    if (ack.previous() != null && (previous == null || ack.previous().beats(previous))) {
      previous = ack.previous();
    }
    if (acks >= required) {
      result.complete(previous);
    }
  }

  synchronized void fail() {
    failures++;
    if (!result.isDone() && sent - failures < required) {
      result.completeExceptionally(
          ApCoordinator.unavailable(
              what,
              consistency,
              required,
              replicas,
              sent,
              acks,
              "replicas did not acknowledge in time (the write may have been applied on"
                  + " some of them and is not rolled back; hints keep it for the others)"));
    }
  }
}
