package dev.cohort.cluster;

import dev.cohort.observability.Metrics;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Registers the cluster's metrics, read at scrape time: {@code cohort_cluster_members{status}} and
 * {@code cohort_cluster_leader_present}.
 */
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
    Metrics.get(system)
        .gauge(
            "cohort_cluster_leader_present",
            "1 when this node sees a cluster leader, 0 when it sees none (no member can be moved"
                + " to Up or removed until one exists)",
            sink -> sink.set(ClusterStatus.of(system).leader().isPresent() ? 1 : 0));
  }
}
