package dev.cohort.kv.ap.internal;

import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.ApWatchEvent;
import dev.cohort.persistence.ErrorKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * One watch of an AP keyspace on one node: subscribes to every bucket of the keyspace on the local
 * replicator and turns each changed bucket into events by comparing it with the bucket as last
 * seen, which it first reads locally (so the subscription's first notification of a bucket that
 * already existed reports only what changed since). Feeds a bounded stream queue; a full queue
 * fails the stream with {@code watch_overflow}. Stops when the stream ends.
 *
 * <p>Local to the node: its messages never leave it.
 */
final class ApWatcher extends AbstractBehavior<ApWatcher.Command> {

  sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Baseline(Replicator.GetResponse<?> response) implements Command {}

  private record Changed(Replicator.SubscribeResponse<?> response) implements Command {}

  enum Stop implements Command {
    INSTANCE
  }

  static Behavior<Command> create(
      org.apache.pekko.actor.ActorRef replicator,
      List<ApBucketKey> keys,
      String prefix,
      BoundedSourceQueue<ApWatchEvent> queue) {
    return Behaviors.setup(ctx -> new ApWatcher(ctx, replicator, keys, prefix, queue));
  }

  private final String prefix;
  private final BoundedSourceQueue<ApWatchEvent> queue;
  /** The last seen state of each bucket with matching keys. */
  private final Map<String, ApBucket> seen = new HashMap<>();

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ApWatcher(
      ActorContext<Command> ctx,
      org.apache.pekko.actor.ActorRef replicator,
      List<ApBucketKey> keys,
      String prefix,
      BoundedSourceQueue<ApWatchEvent> queue) {
    super(ctx);
    this.prefix = prefix;
    this.queue = queue;
    var baselines =
        Adapter.toClassic(ctx.messageAdapter(Replicator.GetResponse.class, r -> new Baseline(r)));
    var changes =
        Adapter.toClassic(
            ctx.messageAdapter(Replicator.SubscribeResponse.class, r -> new Changed(r)));
    // Gets before Subscribes, from one sender to one actor: every baseline arrives before the
    // first change notification, which the replicator sends only at its next notify tick.
    for (ApBucketKey key : keys) {
      replicator.tell(new Replicator.Get<>(key, Replicator.readLocal()), baselines);
    }
    for (ApBucketKey key : keys) {
      replicator.tell(new Replicator.Subscribe<>(key, changes), baselines);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Baseline.class, this::onBaseline)
        .onMessage(Changed.class, this::onChanged)
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .build();
  }

  private Behavior<Command> onBaseline(Baseline baseline) {
    if (baseline.response() instanceof Replicator.GetSuccess<?> success) {
      seen.put(success.key().id(), (ApBucket) success.dataValue());
    }
    return this;
  }

  private Behavior<Command> onChanged(Changed changed) {
    if (changed.response() instanceof Replicator.Deleted<?>) {
      queue.fail(KvException.notFound("keyspace_not_found", "the watched AP keyspace was deleted"));
      return Behaviors.stopped();
    }
    if (!(changed.response() instanceof Replicator.Changed<?> c)) {
      return this;
    }
    ApBucket now = (ApBucket) c.dataValue();
    ApBucket before = seen.getOrDefault(c.key().id(), ApBucket.EMPTY);
    seen.put(c.key().id(), now);
    long nowMillis = System.currentTimeMillis();
    for (var e : now.entries().tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      ApEntry next = e.getValue();
      ApEntry prev = before.entry(e.getKey());
      boolean wasLive = prev != null && prev.liveAt(nowMillis);
      if (next.liveAt(nowMillis)) {
        if (prev == null || !prev.equals(next)) {
          if (!offer(new ApWatchEvent(ApWatchEvent.Type.PUT, e.getKey(), next.value(), next.timestamp()))) {
            return Behaviors.stopped();
          }
        }
      } else if (wasLive
          && !offer(new ApWatchEvent(ApWatchEvent.Type.DELETE, e.getKey(), null, next.timestamp()))) {
        return Behaviors.stopped();
      }
    }
    // Keys purged from the bucket while they were live here (expired between two sweeps).
    for (var e : before.entries().tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      if (now.entry(e.getKey()) == null && e.getValue().liveAt(nowMillis)
          && !offer(new ApWatchEvent(
              ApWatchEvent.Type.DELETE, e.getKey(), null, e.getValue().timestamp()))) {
        return Behaviors.stopped();
      }
    }
    return this;
  }

  /** False when the watch is over (consumer gone, or too far behind). */
  private boolean offer(ApWatchEvent event) {
    QueueOfferResult result = queue.offer(event);
    if (result == QueueOfferResult.enqueued()) {
      return true;
    }
    if (result == QueueOfferResult.dropped()) {
      queue.fail(new KvException(ErrorKind.UNAVAILABLE, "watch_overflow",
          "the watch consumer fell more than cohort.kv.ap.watch.buffer-events behind"));
    }
    return false;
  }
}
