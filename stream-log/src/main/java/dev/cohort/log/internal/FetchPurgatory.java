package dev.cohort.log.internal;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The long-poll fetches parked at one partition's log end (Kafka's fetch purgatory): each waits
 * until data arrives, the partition is deleted, or its wait expires.
 *
 * <p>Owns: the parked fetches and their expiry timers (transient: a restarted or moved partition
 * starts empty, and the callers' asks time out and retry).
 *
 * <p>Invariants: every parked fetch is answered exactly once — by {@link #answerReady} when the log
 * end (or the log start) passes its offset, by {@link #answerAll} on deletion, or by {@link
 * #expire} when its timer fires — and its timer is cancelled or has fired by then. The caller
 * decides each answer, so it reflects the state after the write that woke the fetch.
 *
 * <p>Thread-safety: confined to the partition entity's actor.
 */
final class FetchPurgatory {
  private record Waiter(long id, PartitionEntity.Fetch fetch) {}

  private final TimerScheduler<PartitionEntity.Command> timers;
  private final LongFunction<PartitionEntity.Command> expiry;
  private final Map<Long, Waiter> waiters = new TreeMap<>();
  private long nextWaiterId;

  /**
   * @param timers the entity's timers
   * @param expiry the message a waiter's timer sends the entity, given the waiter's id
   */
  FetchPurgatory(
      TimerScheduler<PartitionEntity.Command> timers,
      LongFunction<PartitionEntity.Command> expiry) {
    this.timers = timers;
    this.expiry = expiry;
  }

  /** Parks {@code fetch} for at most {@code wait}. */
  void park(PartitionEntity.Fetch fetch, Duration wait) {
    long id = nextWaiterId++;
    waiters.put(id, new Waiter(id, fetch));
    timers.startSingleTimer(timerKey(id), expiry.apply(id), wait);
  }

  /** Answers the waiters whose offset is now below the log end or below the log start. */
  void answerReady(
      long logStartOffset,
      long logEndOffset,
      Function<PartitionEntity.Fetch, PartitionEntity.Reply> answer) {
    if (waiters.isEmpty()) {
      return;
    }
    Iterator<Waiter> it = waiters.values().iterator();
    while (it.hasNext()) {
      Waiter waiter = it.next();
      long offset = waiter.fetch().offset();
      if (offset < logEndOffset || offset < logStartOffset) {
        it.remove();
        timers.cancel(timerKey(waiter.id()));
        waiter.fetch().replyTo().tell(answer.apply(waiter.fetch()));
      }
    }
  }

  /** Answers every waiter (the partition was deleted). */
  void answerAll(Function<PartitionEntity.Fetch, PartitionEntity.Reply> answer) {
    for (Waiter waiter : List.copyOf(waiters.values())) {
      waiters.remove(waiter.id());
      timers.cancel(timerKey(waiter.id()));
      waiter.fetch().replyTo().tell(answer.apply(waiter.fetch()));
    }
  }

  /** Answers the waiter whose timer fired, unless it was answered already. */
  void expire(long waiterId, Function<PartitionEntity.Fetch, PartitionEntity.Reply> answer) {
    Waiter waiter = waiters.remove(waiterId);
    if (waiter != null) {
      waiter.fetch().replyTo().tell(answer.apply(waiter.fetch()));
    }
  }

  private static String timerKey(long id) {
    return "fetch-wait-" + id;
  }
}
