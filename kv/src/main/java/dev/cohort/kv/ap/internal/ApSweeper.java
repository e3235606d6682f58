package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.ApSettings;
import java.util.Optional;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.Replicator;

/**
 * Each node's janitor for its AP replica: every {@code cohort.kv.ap.sweep-interval} it reads every
 * bucket locally, drops the tombstones and expired values whose purge time has come (a local
 * update: purging is each replica's own decision, reached the same way everywhere from the
 * entries' purge times), and records the live key counts for {@code cohort_kv_ap_keys}.
 *
 * <p>Local to the node: its messages never leave it.
 */
final class ApSweeper extends AbstractBehavior<ApSweeper.Command> {

  sealed interface Command extends NoSerializationVerificationNeeded {}

  enum Tick implements Command {
    INSTANCE
  }

  private record KeyIds(Replicator.GetKeyIdsResult result) implements Command {}

  private record Got(Replicator.GetResponse<?> response) implements Command {}

  private record Purged(Replicator.UpdateResponse<?> response) implements Command {}

  static Behavior<Command> create(
      org.apache.pekko.actor.ActorRef replicator, ApSettings settings, ApMetrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ApSweeper(ctx, timers, replicator, settings, metrics)));
  }

  private final org.apache.pekko.actor.ActorRef replicator;
  private final ApMetrics metrics;
  private final org.apache.pekko.actor.ActorRef keyIds;
  private final org.apache.pekko.actor.ActorRef gets;
  private final org.apache.pekko.actor.ActorRef updates;

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ApSweeper(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      org.apache.pekko.actor.ActorRef replicator, ApSettings settings, ApMetrics metrics) {
    super(ctx);
    this.replicator = replicator;
    this.metrics = metrics;
    this.keyIds = Adapter.toClassic(ctx.messageAdapter(Replicator.GetKeyIdsResult.class, KeyIds::new));
    this.gets = Adapter.toClassic(ctx.messageAdapter(Replicator.GetResponse.class, r -> new Got(r)));
    this.updates =
        Adapter.toClassic(ctx.messageAdapter(Replicator.UpdateResponse.class, r -> new Purged(r)));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.sweepInterval());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(KeyIds.class, this::onKeyIds)
        .onMessage(Got.class, this::onGot)
        .onMessage(Purged.class, p -> this)
        .build();
  }

  private Behavior<Command> onTick() {
    replicator.tell(Replicator.GetKeyIds$.MODULE$, keyIds);
    return this;
  }

  private Behavior<Command> onKeyIds(KeyIds ids) {
    metrics.retainBuckets(ids.result().getKeyIds());
    for (String id : ids.result().getKeyIds()) {
      if (id.startsWith(ApBucketKey.PREFIX)) {
        replicator.tell(new Replicator.Get<>(new ApBucketKey(id), Replicator.readLocal()), gets);
      }
    }
    return this;
  }

  private Behavior<Command> onGot(Got got) {
    if (!(got.response() instanceof Replicator.GetSuccess<?> success)) {
      return this;
    }
    ApBucket bucket = (ApBucket) success.dataValue();
    long now = System.currentTimeMillis();
    metrics.keys(success.key().id(), bucket.liveKeys(now));
    if (bucket.hasPurgeable(now)) {
      ApBucketKey key = new ApBucketKey(success.key().id());
      replicator.tell(
          new Replicator.Update<>(key, ApBucket.EMPTY, Replicator.writeLocal(), Optional.empty(),
              b -> b.purge(System.currentTimeMillis())),
          updates);
    }
    return this;
  }
}
