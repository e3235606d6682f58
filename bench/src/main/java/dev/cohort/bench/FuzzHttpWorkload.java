package dev.cohort.bench;

import dev.cohort.bench.fuzz.HttpFuzzer;
import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortNode;
import java.nio.file.Files;

/**
 * The HTTP fuzz run at length: {@code inputs} generated bad requests against every endpoint of an
 * embedded node (the CI test sends a few thousand). Prints the inputs, the failures and the seed,
 * then each distinct finding with an example.
 */
final class FuzzHttpWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "generated bad HTTP requests against every gateway route; inputs=50000 seed=<random>";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int inputs = params.intValue("inputs", 50_000);
    long seed = Long.parseLong(params.stringValue("seed", Long.toString(System.nanoTime())));
    try (CohortNode node =
        Cohort.start(
            HttpFuzzer.nodeConfig(Files.createTempDirectory("cohort-bench-fuzz")).build())) {
      long start = System.nanoTime();
      HttpFuzzer.Report report = new HttpFuzzer(node).run(seed, inputs);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "bench=fuzz-http inputs=%d failures=%d findings=%d seed=%d seconds=%.1f statuses=%s%n",
          report.inputs(),
          report.failures(),
          report.findings().size(),
          seed,
          seconds,
          report.byStatus());
      if (!report.findings().isEmpty()) {
        System.out.print(report.describe());
      }
    }
  }
}
