package dev.cohort.log;

import dev.cohort.log.internal.StreamLogImpl;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts the stream log on a node: registers the topic-registry, partition and group-coordinator
 * entity types with Cluster Sharding (the system must be a cluster member, as every Cohort node is)
 * and returns the embedded API. Call once per actor system, on every node of the cluster.
 */
public final class StreamLogService {
  private StreamLogService() {}

  public static StreamLog start(ActorSystem<?> system) {
    return StreamLogImpl.start(system);
  }
}
