package dev.cohort.training.internal;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Every {@code coordinator.wake-interval}, sends {@link TrainingCoordinator.Wake} to the
 * coordinator of every job the {@link TrainingJobIndex} lists as not ended. Sharding starts an
 * entity that is not running and its recovery resumes the job: this is how a job continues after
 * its coordinator's node died (the shard moved, but nothing else would start the entity) or after
 * the whole cluster restarted. Every node runs one; a wake of a running coordinator costs one
 * message. Local only.
 */
public final class JobWaker {
  public sealed interface Msg extends NoSerializationVerificationNeeded {}

  private enum Tick implements Msg {
    INSTANCE
  }

  private record Active(List<TrainingJobIndex.Entry> entries) implements Msg {}

  private JobWaker() {}

  public static Behavior<Msg> create(TrainingJobIndex.Client index, Duration interval) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                  return Behaviors.receive(Msg.class)
                      .onMessage(Tick.class, t -> tick(ctx, index))
                      .onMessage(Active.class, a -> wake(ctx, a))
                      .build();
                }));
  }

  private static Behavior<Msg> tick(ActorContext<Msg> ctx, TrainingJobIndex.Client index) {
    // A failed query (the index's node is moving) is retried at the next tick.
    ctx.pipeToSelf(
        index.list(true), (entries, error) -> new Active(entries == null ? List.of() : entries));
    return Behaviors.same();
  }

  private static Behavior<Msg> wake(ActorContext<Msg> ctx, Active active) {
    ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
    for (TrainingJobIndex.Entry e : active.entries()) {
      sharding
          .entityRefFor(TrainingCoordinator.ENTITY_TYPE_KEY, e.jobId())
          .tell(TrainingCoordinator.Wake.INSTANCE);
    }
    return Behaviors.same();
  }
}
