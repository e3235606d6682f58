package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.persistence.Rejection;
import dev.cohort.persistence.WriterFence;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Holds the answers a kv partition gives from memory (gets, ranges, transactions that wrote
 * nothing) until the {@link WriterFence} confirms that no other incarnation of the partition has
 * written since this one's last event; then they go out. Without it a node that was paused or cut
 * off, and whose partition the rest of the cluster has moved and written to, would answer reads
 * with values that were overwritten: not linearizable.
 *
 * <p>Invariants: at most one check is in flight; answers that arrive while it runs wait for the
 * next one (a check must start after the answer was computed, as etcd's ReadIndex), so one journal
 * query covers every answer queued behind it. An answer is never sent before a check that started
 * after it confirmed this incarnation; when a check finds foreign events every held answer is
 * refused and the partition stops, to reload from the journal on its next command.
 */
final class ReadFence {
  private final WriterFence fence;
  private final String persistenceId;
  private final ActorContext<KvPartition.Command> context;

  /** Answers the check in flight covers; null when no check is in flight. */
  private List<Held> covered;

  private List<Held> waiting = new ArrayList<>();

  private record Held(ActorRef<KvPartition.Reply> replyTo, KvPartition.Reply reply) {}

  ReadFence(WriterFence fence, String persistenceId, ActorContext<KvPartition.Command> context) {
    this.fence = fence;
    this.persistenceId = persistenceId;
    this.context = context;
  }

  boolean enabled() {
    return fence.enabled();
  }

  /** Sends {@code reply} once a check that starts from now confirms this incarnation. */
  void hold(ActorRef<KvPartition.Reply> replyTo, KvPartition.Reply reply, long lastSequenceNr) {
    waiting.add(new Held(replyTo, reply));
    if (covered == null) {
      start(lastSequenceNr);
    }
  }

  private void start(long lastSequenceNr) {
    covered = waiting;
    waiting = new ArrayList<>();
    context.pipeToSelf(
        fence.highestAfter(persistenceId, lastSequenceNr),
        (highest, error) ->
            new KvPartition.FenceChecked(
                highest == null ? -1 : highest,
                error == null ? null : String.valueOf(error.getMessage())));
  }

  /**
   * Completes the check in flight.
   *
   * @param lastSequenceNr this incarnation's last event now: events up to it are its own (another
   *     writer's event with the same number would have failed its write)
   * @return true when another incarnation wrote: every held answer was refused, the caller stops
   */
  boolean checked(KvPartition.FenceChecked result, long lastSequenceNr, String partitionName) {
    List<Held> done = covered;
    covered = null;
    if (result.error() != null) {
      refuse(
          done,
          KvError.JOURNAL_UNAVAILABLE.rejection(
              "partition "
                  + partitionName
                  + " could not confirm its data with the journal: "
                  + result.error()));
    } else if (result.highest() > lastSequenceNr) {
      Rejection stale =
          KvError.STALE_OWNER.rejection(
              "partition "
                  + partitionName
                  + " was written by another node (it moved while this node was"
                  + " unreachable); it reloads from the journal, retry");
      refuse(done, stale);
      refuse(waiting, stale);
      waiting = new ArrayList<>();
      return true;
    } else {
      done.forEach(h -> h.replyTo().tell(h.reply()));
    }
    if (!waiting.isEmpty()) {
      start(lastSequenceNr);
    }
    return false;
  }

  private static void refuse(List<Held> held, Rejection rejection) {
    held.forEach(h -> h.replyTo().tell(new KvPartition.Rejected(rejection)));
  }
}
