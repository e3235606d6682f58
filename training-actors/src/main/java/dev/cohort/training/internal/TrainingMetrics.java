package dev.cohort.training.internal;

import dev.cohort.observability.Metrics;
import dev.cohort.training.DataParallelTrainer;
import dev.cohort.training.collective.Backend;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The training module's Prometheus metrics on one node (names as issue 6 lists them). Gauges read
 * maps that workers and coordinators on this node update; a job's gauges disappear when its last
 * local worker or coordinator forgets it. Thread-safe: training threads record steps directly.
 */
public final class TrainingMetrics {
  // By identity: typed actor systems compare equal by path, and several systems of one name
  // (a cluster in one JVM, a node restarted in the same JVM) share a path.
  private static final Map<ActorSystem<?>, TrainingMetrics> BY_SYSTEM =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private final Histogram stepSeconds;
  private final Counter samples;
  private final Histogram allreduceSeconds;
  private final Counter allreduceBytes;
  private final Counter recoveries;
  private final Map<String, Double> loss = new ConcurrentHashMap<>();
  private final Map<String, Double> busbw = new ConcurrentHashMap<>();
  private final Map<String, Integer> workers = new ConcurrentHashMap<>();
  private final Map<String, dev.cohort.training.JobPhase> jobs = new ConcurrentHashMap<>();

  private TrainingMetrics(Metrics m) {
    stepSeconds =
        m.histogram(
            "cohort_training_step_seconds",
            "Time of one data-parallel training step on one worker.");
    samples =
        m.counter(
            "cohort_training_samples",
            "Samples processed by all ranks of a job, counted by rank 0.",
            "job");
    allreduceSeconds =
        m.histogram(
            "cohort_training_allreduce_seconds",
            "Gradient allreduce time per step (first bucket launched to last completed).",
            "backend");
    allreduceBytes =
        m.counter(
            "cohort_training_allreduce_bytes",
            "Gradient bytes allreduced by this node's workers.",
            "backend");
    recoveries =
        m.counter(
            "cohort_training_recoveries",
            "Recoveries of a job: generations ended by a lost or failed worker or by a restart of its coordinator.",
            "job");
    m.gauge(
        "cohort_training_loss",
        "Latest global training loss of a job.",
        sink -> loss.forEach((job, v) -> sink.set(v, job)),
        "job");
    m.gauge(
        "cohort_training_busbw_bytes_per_second",
        "Allreduce bus bandwidth of a job's last step (nccl-tests definition).",
        sink -> busbw.forEach((job, v) -> sink.set(v, job)),
        "job");
    m.gauge(
        "cohort_training_workers",
        "Members of a job's running generation.",
        sink -> workers.forEach((job, v) -> sink.set(v, job)),
        "job");
    m.gauge(
        "cohort_training_jobs",
        "Jobs whose coordinator runs on this node, by state.",
        sink -> {
          Map<dev.cohort.training.JobPhase, Integer> counts =
              new java.util.EnumMap<>(dev.cohort.training.JobPhase.class);
          jobs.values().forEach(p -> counts.merge(p, 1, Integer::sum));
          for (dev.cohort.training.JobPhase p : dev.cohort.training.JobPhase.values()) {
            sink.set(counts.getOrDefault(p, 0), p.name().toLowerCase(java.util.Locale.ROOT));
          }
        },
        "state");
  }

  public static TrainingMetrics get(ActorSystem<?> system) {
    return BY_SYSTEM.computeIfAbsent(
        system,
        s -> {
          s.getWhenTerminated().thenRun(() -> BY_SYSTEM.remove(s));
          return new TrainingMetrics(Metrics.get(s));
        });
  }

  /** One step of a job on one rank of {@code ranks}; rank 0 also records the job-wide values. */
  public void step(
      String job, int rank, int ranks, Backend backend, DataParallelTrainer.StepResult r) {
    stepSeconds.observe((r.computeNanos() + r.exposedCommNanos()) / 1e9);
    allreduceSeconds.labelValues(backend.id()).observe(r.allreduceNanos() / 1e9);
    allreduceBytes.labelValues(backend.id()).inc(r.allreduceBytes());
    if (rank == 0) {
      samples.labelValues(job).inc(r.samples());
      loss.put(job, r.loss());
      if (r.allreduceNanos() > 0 && ranks > 1) {
        busbw.put(job, r.allreduceBytes() / (r.allreduceNanos() / 1e9) * 2.0 * (ranks - 1) / ranks);
      }
    }
  }

  void job(String job, dev.cohort.training.JobPhase phase, int members) {
    if (jobs.put(job, phase) == null) {
      // The job's recovery series starts at zero, so increase() sees its first recovery.
      recoveries.labelValues(job);
    }
    workers.put(job, members);
  }

  void recovered(String job) {
    recoveries.labelValues(job).inc();
  }

  /** Forgets a job's gauges on this node (its coordinator passivated or the job ended long ago). */
  void forget(String job) {
    jobs.remove(job);
    workers.remove(job);
    loss.remove(job);
    busbw.remove(job);
  }
}
