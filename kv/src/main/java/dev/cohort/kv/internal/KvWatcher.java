package dev.cohort.kv.internal;

import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.WatchEvent;
import dev.cohort.persistence.CohortSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * One watch stream: subscribes to the partitions its filter can touch, turns their feeds into
 * {@link WatchEvent}s and offers them to the stream's bounded queue.
 *
 * <p>Exactly once, in order per partition: the watcher keeps, per partition, the position of the
 * last change it emitted. When a partition stops (restart, passivation, shard move) the watcher
 * subscribes again from that position; the partition resends from its history and the watcher drops
 * what it already emitted. A subscription that gets no answer within the ask timeout is sent again.
 * A consumer slower than the queue fails the stream with {@code watch_overflow}; it resumes from
 * its last token without loss.
 *
 * <p>Established: {@code established} completes once every partition in scope has answered its
 * first subscription, so every change committed after that reaches the stream (a watch "from now"
 * begins where each partition stood when it answered). It fails with {@code timeout} when a
 * partition has not answered within the ask timeout (the watcher keeps subscribing), and with
 * {@code unavailable} when the watch ends first.
 *
 * <p>Local to the node that materialized the stream; only {@link Feed} crosses the wire.
 */
public final class KvWatcher extends AbstractBehavior<KvWatcher.Command> {

  public sealed interface Command {}

  /**
   * Changes from partition {@code partition}, in order; {@code snapshot}: the current state of the
   * matching keys, sent instead of history that was compacted. {@code revision}: the partition's
   * revision when sent.
   */
  public record Feed(
      int partition,
      ActorRef<KvPartition.Command> source,
      List<Change> changes,
      boolean snapshot,
      long revision)
      implements Command, CohortSerializable {}

  /** The stream ended: unsubscribe and stop. */
  public enum Stop implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private record PartitionStopped(int partition, ActorRef<KvPartition.Command> source)
      implements Command, NoSerializationVerificationNeeded {}

  private record Resubscribe(int partition) implements Command, NoSerializationVerificationNeeded {}

  /** What to watch and where to put the events. */
  public record Spec(
      String keyspace,
      long incarnation,
      int partitions,
      List<Integer> scope,
      Filter filter,
      boolean prevKv,
      Map<Integer, Tokens.Position> from) {}

  public static Behavior<Command> create(
      Spec spec,
      BoundedSourceQueue<WatchEvent> queue,
      CompletableFuture<Done> established,
      Duration resubscribeAfter,
      KvMetrics metrics) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new KvWatcher(
                        context, timers, spec, queue, established, resubscribeAfter, metrics)));
  }

  private final TimerScheduler<Command> timers;
  private final Spec spec;
  private final BoundedSourceQueue<WatchEvent> queue;
  private final CompletableFuture<Done> established;
  private final Duration resubscribeAfter;
  private final KvMetrics metrics;
  private final ClusterSharding sharding;

  /** Per partition in scope: the position of the last emitted change (absent: from now). */
  private final TreeMap<Integer, Tokens.Position> positions = new TreeMap<>();

  /** Per partition: the entity actor feeding us, watched. */
  private final Map<Integer, ActorRef<KvPartition.Command>> sources = new HashMap<>();

  /** Partitions in scope that have not answered a subscription yet; empty once established. */
  private final Set<Integer> unanswered = new HashSet<>();

  private KvWatcher(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      Spec spec,
      BoundedSourceQueue<WatchEvent> queue,
      CompletableFuture<Done> established,
      Duration resubscribeAfter,
      KvMetrics metrics) {
    super(context);
    this.timers = timers;
    this.spec = spec;
    this.queue = queue;
    this.established = established;
    this.resubscribeAfter = resubscribeAfter;
    this.metrics = metrics;
    this.sharding = ClusterSharding.get(context.getSystem());
    positions.putAll(spec.from());
    metrics.watcherOpened();
    unanswered.addAll(spec.scope());
    for (int p : spec.scope()) {
      subscribe(p);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Feed.class, this::onFeed)
        .onMessage(PartitionStopped.class, this::onPartitionStopped)
        .onMessage(Resubscribe.class, this::onResubscribe)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private String entityId(int partition) {
    return KvPartition.entityId(spec.keyspace(), spec.incarnation(), spec.partitions(), partition);
  }

  private void subscribe(int partition) {
    Tokens.Position at = positions.get(partition);
    long after = at == null ? -1 : at.resendAfter();
    sharding
        .entityRefFor(KvPartition.ENTITY_TYPE_KEY, entityId(partition))
        .tell(new KvPartition.Subscribe(spec.filter(), after, getContext().getSelf()));
    // Sent again unless a feed from the partition answers in time.
    timers.startSingleTimer(partition, new Resubscribe(partition), resubscribeAfter);
  }

  private Behavior<Command> onResubscribe(Resubscribe resubscribe) {
    if (unanswered.contains(resubscribe.partition())) {
      established.completeExceptionally(
          KvError.TIMEOUT.exception(
              "partition "
                  + resubscribe.partition()
                  + " of keyspace "
                  + spec.keyspace()
                  + " did not answer the watch within "
                  + resubscribeAfter
                  + "; the watch keeps trying"));
    }
    if (!CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent()) {
      subscribe(resubscribe.partition());
    }
    return this;
  }

  private Behavior<Command> onFeed(Feed feed) {
    int p = feed.partition();
    timers.cancel(p);
    if (unanswered.remove(p) && unanswered.isEmpty()) {
      established.complete(Done.getInstance());
    }
    ActorRef<KvPartition.Command> known = sources.get(p);
    if (!feed.source().equals(known)) {
      if (known != null) {
        getContext().unwatch(known);
      }
      sources.put(p, feed.source());
      getContext().watchWith(feed.source(), new PartitionStopped(p, feed.source()));
    }
    return feed.snapshot() ? emitSnapshot(feed) : emitChanges(feed);
  }

  private Behavior<Command> emitSnapshot(Feed feed) {
    int p = feed.partition();
    List<Change> changes = feed.changes();
    String before = Tokens.resume(spec.incarnation(), positions);
    for (int i = 0; i < changes.size(); i++) {
      boolean last = i == changes.size() - 1;
      if (last) {
        positions.put(p, Tokens.Position.after(feed.revision()));
      }
      String token = last ? Tokens.resume(spec.incarnation(), positions) : before;
      if (!offer(toEvent(changes.get(i), p, true, token))) {
        return Behaviors.stopped();
      }
    }
    positions.put(p, Tokens.Position.after(feed.revision()));
    return this;
  }

  private Behavior<Command> emitChanges(Feed feed) {
    int p = feed.partition();
    Tokens.Position at = positions.get(p);
    List<Change> changes = feed.changes();
    int indexInRevision = 0;
    for (int i = 0; i < changes.size(); i++) {
      Change c = changes.get(i);
      indexInRevision =
          i > 0 && changes.get(i - 1).revision() == c.revision() ? indexInRevision + 1 : 1;
      boolean seen =
          at != null
              && (c.revision() < at.revision()
                  || (c.revision() == at.revision()
                      && (at.seen() == 0 || indexInRevision <= at.seen())));
      if (seen) {
        continue;
      }
      boolean lastOfRevision =
          i == changes.size() - 1 || changes.get(i + 1).revision() != c.revision();
      at =
          lastOfRevision
              ? Tokens.Position.after(c.revision())
              : new Tokens.Position(c.revision(), indexInRevision);
      positions.put(p, at);
      if (!offer(toEvent(c, p, false, Tokens.resume(spec.incarnation(), positions)))) {
        return Behaviors.stopped();
      }
    }
    if (at == null) {
      positions.put(p, Tokens.Position.after(feed.revision()));
    }
    return this;
  }

  private WatchEvent toEvent(Change c, int partition, boolean snapshot, String token) {
    KeyValue kv = c.isDelete() ? new KeyValue(c.key(), new byte[0], 0, c.revision(), 0, 0) : c.kv();
    KeyValue prev = spec.prevKv() ? c.prev() : null;
    return new WatchEvent(
        c.isDelete() ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT,
        kv,
        prev,
        new Header(partition, c.revision()),
        snapshot,
        token);
  }

  private boolean offer(WatchEvent event) {
    QueueOfferResult result = queue.offer(event);
    if (result == QueueOfferResult.enqueued()) {
      return true;
    }
    if (result == QueueOfferResult.dropped()) {
      queue.fail(
          KvError.WATCH_OVERFLOW.exception(
              "the watch consumer fell more than the buffer behind; resume from the last token"));
    }
    return false;
  }

  private Behavior<Command> onPartitionStopped(PartitionStopped stopped) {
    if (CoordinatedShutdown.get(getContext().getSystem()).getShutdownReason().isPresent()) {
      // Resubscribing would keep the node's shard regions from handing off; end the watch.
      queue.fail(
          KvError.UNAVAILABLE.exception(
              "the node is shutting down; resume the watch elsewhere from the last token"));
      return Behaviors.stopped();
    }
    if (stopped.source().equals(sources.get(stopped.partition()))) {
      sources.remove(stopped.partition());
      subscribe(stopped.partition());
    }
    return this;
  }

  private Behavior<Command> onPostStop() {
    established.completeExceptionally(
        KvError.UNAVAILABLE.exception("the watch ended before every partition answered it"));
    metrics.watcherClosed();
    return this;
  }

  private Behavior<Command> onStop() {
    for (ActorRef<KvPartition.Command> source : sources.values()) {
      source.tell(new KvPartition.Unsubscribe(getContext().getSelf()));
    }
    return Behaviors.stopped();
  }
}
