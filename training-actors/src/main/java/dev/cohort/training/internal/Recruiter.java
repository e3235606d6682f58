package dev.cohort.training.internal;

import dev.cohort.persistence.AskStages;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A coordinator's child that finds the cluster's {@link WorkerPool}s through the receptionist and
 * asks each for the workers the job still misses. Kept out of the coordinator so that the entity's
 * protocol holds only its own, serializable commands.
 */
final class Recruiter {
  sealed interface Msg extends NoSerializationVerificationNeeded {}

  /** The job misses {@code wanted} workers. */
  record Need(int wanted) implements Msg {}

  private record Pools(Receptionist.Listing listing, int wanted) implements Msg {}

  private Recruiter() {}

  static Behavior<Msg> create(String jobId, ActorRef<TrainingCoordinator.Command> coordinator) {
    return Behaviors.setup(
        ctx ->
            Behaviors.receive(Msg.class)
                .onMessage(Need.class, need -> find(ctx, need))
                .onMessage(Pools.class, pools -> recruit(jobId, coordinator, pools))
                .build());
  }

  private static Behavior<Msg> find(
      org.apache.pekko.actor.typed.javadsl.ActorContext<Msg> ctx, Need need) {
    AskStages.ask(
        ctx,
        Receptionist.Listing.class,
        ctx.getSystem().receptionist(),
        java.time.Duration.ofSeconds(5),
        replyTo -> Receptionist.find(WorkerPool.KEY, replyTo),
        (listing, failure) -> new Pools(listing, listing == null ? 0 : need.wanted()));
    return Behaviors.same();
  }

  private static Behavior<Msg> recruit(
      String jobId, ActorRef<TrainingCoordinator.Command> coordinator, Pools pools) {
    if (pools.listing() != null && pools.wanted() > 0) {
      for (ActorRef<WorkerPool.Command> pool :
          pools.listing().getServiceInstances(WorkerPool.KEY)) {
        pool.tell(new WorkerPool.Recruit(jobId, coordinator, pools.wanted()));
      }
    }
    return Behaviors.same();
  }
}
