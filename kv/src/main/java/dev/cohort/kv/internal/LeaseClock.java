package dev.cohort.kv.internal;

import dev.cohort.kv.KvSettings;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Ticks every lessor each {@code cohort.kv.lease.check-interval}, so that leases expire on time and
 * lessors come back after a restart or a shard move without waiting for a request. One per node;
 * ticks from several nodes are harmless (a tick only expires what is due).
 */
public final class LeaseClock {
  private LeaseClock() {}

  private enum Tick implements NoSerializationVerificationNeeded {
    INSTANCE
  }

  public static Behavior<Object> create(KvSettings settings) {
    return Behaviors.<Object>withTimers(
        timers -> {
          timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.leaseCheckInterval());
          return Behaviors.setup(
              context -> {
                ClusterSharding sharding = ClusterSharding.get(context.getSystem());
                CoordinatedShutdown shutdown = CoordinatedShutdown.get(context.getSystem());
                return Behaviors.receiveMessage(
                    tick -> {
                      if (shutdown.getShutdownReason().isPresent()) {
                        return Behaviors.stopped(); // let the lessor region hand off
                      }
                      for (int i = 0; i < settings.lessors(); i++) {
                        sharding
                            .entityRefFor(KvLessor.ENTITY_TYPE_KEY, Integer.toString(i))
                            .tell(KvLessor.Tick.INSTANCE);
                      }
                      return Behaviors.same();
                    });
              });
        });
  }
}
