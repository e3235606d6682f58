package dev.cohort.saga.internal;

import dev.cohort.observability.Metrics;
import dev.cohort.saga.SagaState;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The saga metrics of one node. The gauges count the instances this node hosts (sum them over nodes
 * for the cluster): each live instance entity reports its state here and leaves when it stops.
 * Thread-safe.
 */
public final class SagaMetrics {
  private record Live(String definition, SagaState state) {}

  private final Map<String, Live> live = new ConcurrentHashMap<>();
  private final Counter steps;
  private final Histogram stepSeconds;
  private final Counter compensations;

  public SagaMetrics(ActorSystem<?> system) {
    Metrics metrics = Metrics.get(system);
    steps =
        metrics.counter(
            "cohort_saga_steps",
            "Step attempts by outcome: succeeded, retry, failed, compensated, compensation_retry, "
                + "compensation_failed",
            "definition",
            "step",
            "outcome");
    stepSeconds =
        metrics.histogram(
            "cohort_saga_step_seconds",
            "Duration of step attempts (actions and compensations) in seconds",
            "definition",
            "step");
    compensations =
        metrics.counter(
            "cohort_saga_compensations", "Instances that started compensating", "definition");
    metrics.gauge(
        "cohort_saga_instances",
        "Saga instances hosted on this node by state",
        sink -> counts().forEach((k, v) -> sink.set(v, k.split("\u0000"))),
        "definition",
        "state");
    metrics.gauge(
        "cohort_saga_compensation_failed",
        "Instances hosted on this node waiting in COMPENSATION_FAILED for an operator",
        sink -> compensationFailed().forEach((definition, n) -> sink.set(n, definition)),
        "definition");
  }

  /**
   * COMPENSATION_FAILED instances per definition hosted here, zero included: an alert on the series
   * then has a value to compare before the first failure.
   */
  private Map<String, Integer> compensationFailed() {
    Map<String, Integer> failed = new TreeMap<>();
    for (Live l : live.values()) {
      failed.merge(
          l.definition(), l.state() == SagaState.COMPENSATION_FAILED ? 1 : 0, Integer::sum);
    }
    return failed;
  }

  private Map<String, Integer> counts() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Live l : live.values()) {
      counts.merge(l.definition() + "\u0000" + l.state().name(), 1, Integer::sum);
    }
    return counts;
  }

  void instance(String id, String definition, SagaState state) {
    live.put(id, new Live(definition, state));
  }

  void stopped(String id) {
    live.remove(id);
  }

  void attempt(String definition, String step, String outcome, double seconds) {
    steps.labelValues(definition, step, outcome).inc();
    stepSeconds.labelValues(definition, step).observe(seconds);
  }

  void compensationStarted(String definition) {
    compensations.labelValues(definition).inc();
  }
}
