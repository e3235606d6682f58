package dev.cohort.bench;

import dev.cohort.bench.chaos.ChaosRun;
import dev.cohort.bench.chaos.Nemesis;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The fault harness as a benchmark: {@code ./cohort bench chaos minutes=10 nodes=3}. Cycles the
 * nemeses against real node processes for the given minutes and prints one line per phase and
 * workload (checker verdicts, lost and duplicate counts, unavailability). Needs root for partitions
 * and a local PostgreSQL (Debian's pg_ctlcluster) for journal outages.
 */
final class ChaosBench implements Bench.Workload {
  @Override
  public String description() {
    return "fault harness on real node processes; minutes=0 (one pass) nodes=3"
        + " nemesis=kill,pause,partition,journal-outage,rolling-restart"
        + " workload=kv-register,unique-put,stream-log clients=4 seed=1";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    List<Nemesis> nemeses =
        Arrays.stream(
                params
                    .stringValue("nemesis", "kill,pause,partition,journal-outage,rolling-restart")
                    .split(","))
            .map(Nemesis::of)
            .toList();
    List<String> workloads =
        List.of(params.stringValue("workload", "kv-register,unique-put,stream-log").split(","));
    ChaosRun.Plan plan =
        new ChaosRun.Plan(
            params.intValue("nodes", 3),
            nemeses,
            workloads,
            Duration.ofMinutes(params.intValue("minutes", 0)),
            params.intValue("clients", 4),
            params.intValue("seed", 1));
    Path root = Path.of(System.getProperty("cohort.root", ".")).toAbsolutePath();
    Path work = Files.createTempDirectory("cohort-chaos");
    List<ChaosRun.Result> results = ChaosRun.run(root, work, plan, System.out::println);
    long invalid = results.stream().filter(r -> !r.check().valid()).count();
    System.out.println(
        "bench=chaos_summary nodes="
            + plan.nodes()
            + " phases="
            + results.size()
            + " invalid="
            + invalid
            + " work="
            + work);
  }
}
