package dev.cohort.cluster;

import dev.cohort.observability.Metrics;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;

/** Registers the cluster's metrics: {@code cohort_cluster_members{status}}, read at scrape time. */
public final class ClusterMetrics {
  private static final List<String> STATUSES =
      List.of("Joining", "WeaklyUp", "Up", "Leaving", "Exiting", "Down", "Removed");

  private ClusterMetrics() {}

  public static void register(ActorSystem<?> system) {
    Metrics.get(system)
        .gauge(
            "cohort_cluster_members",
            "Cluster members as seen by this node, by member status",
            sink -> {
              ClusterStatus status = ClusterStatus.of(system);
              for (String name : STATUSES) {
                sink.set(status.count(name), name);
              }
              sink.set(
                  status.members().stream().filter(m -> !m.reachable()).count(), "Unreachable");
            },
            "status");
  }
}
