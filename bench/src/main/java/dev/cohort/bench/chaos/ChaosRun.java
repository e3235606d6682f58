package dev.cohort.bench.chaos;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One fault-harness run: a {@link ChaosCluster} of real node processes, then for each phase (one
 * nemesis) fresh instances of the chosen workloads run against every gateway while the nemesis
 * strikes; the runner heals the cluster (restarts the nodes that exited and waits until all are
 * Up), lets the clients go on a while, stops them and asks each workload's checkers. One {@link
 * Result} (and one bench line) per phase and workload.
 */
public final class ChaosRun {
  private ChaosRun() {}

  /**
   * What to run.
   *
   * @param nodes cluster size (3 or 5)
   * @param nemeses the phases, in order (repeated while {@code duration} lasts)
   * @param workloads workload names, each run in every phase
   * @param duration keep cycling through the nemeses until this much time passed (zero: once)
   * @param clients client threads per workload
   * @param seed the random seed choosing victims
   */
  public record Plan(
      int nodes,
      List<Nemesis> nemeses,
      List<String> workloads,
      Duration duration,
      int clients,
      long seed) {}

  /** One phase's verdict on one workload. */
  public record Result(
      Nemesis nemesis,
      int nodes,
      CheckResult check,
      double unavailableP99Seconds,
      double unavailableMaxSeconds,
      String worstStream,
      Nemesis.Fault fault) {
    public String line() {
      return "bench=chaos nemesis="
          + nemesis.label()
          + " nodes="
          + nodes
          + " "
          + check.line()
          + " unavailable_p99_s="
          + String.format("%.2f", unavailableP99Seconds)
          + " unavailable_max_s="
          + String.format("%.2f", unavailableMaxSeconds)
          + (worstStream.isEmpty() ? "" : " worst=" + worstStream);
    }
  }

  /** Before the fault, the clients run this long on a healthy cluster. */
  static final Duration WARM_UP = Duration.ofSeconds(5);

  /** After the cluster healed, the clients go on this long before the checkers read. */
  static final Duration AFTER_HEAL = Duration.ofSeconds(5);

  /**
   * A request's answer later than this is indeterminate; short, so clients retry soon after a
   * fault.
   */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

  public static List<Result> run(Path root, Path work, Plan plan, Consumer<String> out)
      throws Exception {
    boolean partitions = plan.nemeses().contains(Nemesis.PARTITION);
    if (partitions && Firewall.unavailableReason() != null) {
      throw new IllegalStateException("nemesis partition: " + Firewall.unavailableReason());
    }
    if (plan.nemeses().contains(Nemesis.JOURNAL_OUTAGE)
        && ChaosCluster.PostgresAdmin.outageUnavailableReason() != null) {
      throw new IllegalStateException(
          "nemesis journal-outage: " + ChaosCluster.PostgresAdmin.outageUnavailableReason());
    }
    Random random = new Random(plan.seed());
    List<Result> results = new ArrayList<>();
    try (ChaosCluster cluster = ChaosCluster.start(root, work, plan.nodes(), partitions)) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      Gateways gateways = new Gateways(cluster.gateways(), http, REQUEST_TIMEOUT);
      long end = System.nanoTime() + plan.duration().toNanos();
      int phase = 0;
      do {
        for (Nemesis nemesis : plan.nemeses()) {
          results.addAll(phase(cluster, gateways, plan, nemesis, "p" + phase++, random, out));
        }
      } while (System.nanoTime() < end);
    }
    return results;
  }

  private static List<Result> phase(
      ChaosCluster cluster,
      Gateways gateways,
      Plan plan,
      Nemesis nemesis,
      String phase,
      Random random,
      Consumer<String> out)
      throws Exception {
    List<ChaosWorkload> workloads = new ArrayList<>();
    for (String name : plan.workloads()) {
      ChaosWorkload workload = Workloads.create(name, phase);
      workload.setUp(gateways);
      workloads.add(workload);
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> runners = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (ChaosWorkload workload : workloads) {
      runners.add(
          Thread.ofPlatform()
              .name("chaos-" + workload.name())
              .start(
                  () -> {
                    try {
                      workload.run(gateways, stop::get, plan.clients());
                    } catch (Throwable t) {
                      failures.add(t);
                    }
                  }));
    }
    Nemesis.Fault fault;
    try {
      LockSupport.parkNanos(WARM_UP.toNanos());
      fault = nemesis.inject(cluster, random);
      out.accept(
          "# "
              + phase
              + " "
              + nemesis.label()
              + ": "
              + fault.notes()
              + (fault.faultedExits().isEmpty() ? "" : " exits " + fault.faultedExits()));
      List<String> restarted = cluster.restartExited();
      if (!restarted.isEmpty()) {
        out.accept("# " + phase + " restarted after exit: " + restarted);
      }
      cluster.awaitHealthy(ChaosCluster.START);
      List<String> late = cluster.takeLateRestarts();
      if (!late.isEmpty()) {
        out.accept("# " + phase + " downed again while rejoining, restarted: " + late);
      }
      LockSupport.parkNanos(AFTER_HEAL.toNanos());
    } finally {
      stop.set(true);
      for (Thread runner : runners) {
        runner.join(Duration.ofSeconds(60));
      }
    }
    if (!failures.isEmpty()) {
      IllegalStateException failed =
          new IllegalStateException("a workload failed in phase " + phase);
      failures.forEach(failed::addSuppressed);
      throw failed;
    }
    List<Result> results = new ArrayList<>();
    for (ChaosWorkload workload : workloads) {
      CheckResult check = workload.check(gateways);
      List<Op> history = workload.history();
      Result result =
          new Result(
              nemesis,
              plan.nodes(),
              check,
              Unavailability.p99Seconds(history, fault.starts()),
              Unavailability.maxSeconds(history, fault.starts()),
              Unavailability.worst(history, fault.starts()),
              fault);
      out.accept(result.line());
      for (String violation :
          check.violations().subList(0, Math.min(10, check.violations().size()))) {
        out.accept("#   violation: " + violation);
      }
      results.add(result);
    }
    return results;
  }
}
