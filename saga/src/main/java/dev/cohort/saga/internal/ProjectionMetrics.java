package dev.cohort.saga.internal;

import dev.cohort.observability.Metrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * {@code cohort_saga_projection_lag{projection}}: records of the source topic not yet applied, for
 * the projections whose runner runs on this node (a projection runs on one node at a time).
 * Thread-safe.
 */
final class ProjectionMetrics {
  /** The lag a runner reported; keyed by projection, owned by the runner that set it. */
  private record Lag(Object runner, long value) {}

  private final Map<String, Lag> lag = new ConcurrentHashMap<>();

  ProjectionMetrics(ActorSystem<?> system) {
    Metrics.get(system)
        .gauge(
            "cohort_saga_projection_lag",
            "Records of the source topic a projection running on this node has not applied yet",
            sink -> lag.forEach((name, l) -> sink.set(l.value(), name)),
            "projection");
  }

  void lag(String projection, Object runner, long value) {
    lag.put(projection, new Lag(runner, value));
  }

  /** Forgets the runner's lag, unless a newer runner (after a rebuild) already reported. */
  void stopped(String projection, Object runner) {
    lag.computeIfPresent(projection, (name, l) -> l.runner() == runner ? null : l);
  }
}
