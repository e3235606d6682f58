package dev.cohort.bench.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortNode;
import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A few thousand generated bad requests against every endpoint of a real embedded node (file
 * journal, free ports): no 5xx, no dropped connection, typed 4xx errors only, no state change, and
 * the node still healthy and serving afterwards. The seed is random unless {@code
 * -Dcohort.fuzz.seed} fixes it, and is printed with any failure; {@code -Dcohort.fuzz.inputs} sets
 * the count ({@code ./cohort bench fuzz-http} runs longer).
 */
@Tag("integration")
class HttpFuzzTest {
  private static final long INPUTS = Long.getLong("cohort.fuzz.inputs", 3_000);

  @Test
  void everyRouteAnswersBadInputWithATypedErrorAndChangesNothing() throws Exception {
    long seed = Long.getLong("cohort.fuzz.seed", System.nanoTime());
    try (CohortNode node =
        Cohort.start(HttpFuzzer.nodeConfig(Files.createTempDirectory("cohort-fuzz")).build())) {
      HttpFuzzer.Report report = new HttpFuzzer(node).run(seed, INPUTS);
      System.out.println(
          "fuzz-http seed="
              + seed
              + " inputs="
              + report.inputs()
              + " statuses="
              + report.byStatus());
      assertEquals(0, report.failures(), report.describe());
    }
  }
}
