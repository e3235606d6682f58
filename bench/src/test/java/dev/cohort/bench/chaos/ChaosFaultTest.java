package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The short fault suite: three real node processes on 127.0.0.1–3 over a PostgreSQL journal, each
 * nemesis once (SIGKILL, SIGSTOP past stable-after, a firewall partition, PostgreSQL stopped, a
 * rolling restart) against the kv-register, unique-put and stream-log workloads. Any checker
 * failure (a non-linearizable register, a lost acknowledged put or record, a duplicate or reordered
 * record, a committed offset moving back) fails the build. Also checks the split-brain resolver on
 * the real partition: the cut-off minority was downed and exited with status 1, the majority went
 * on.
 */
@Tag("fault")
class ChaosFaultTest {

  @Test
  void everyNemesisOnceAgainstThreeNodes() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent();
    assertTrue(
        Files.isExecutable(root.resolve("cohort")), "the ./cohort launcher is not at " + root);
    assertNull(
        Firewall.unavailableReason(),
        "the fault suite partitions with iptables as root (.ci/run installs it)");
    Path work = Files.createTempDirectory("cohort-chaos-test");
    List<String> lines = new ArrayList<>();
    ChaosRun.Plan plan =
        new ChaosRun.Plan(
            3,
            List.of(Nemesis.values()),
            List.of("kv-register", "unique-put", "stream-log"),
            Duration.ZERO,
            3,
            7);
    List<ChaosRun.Result> results =
        ChaosRun.run(
            root,
            work,
            plan,
            line -> {
              System.out.println(line);
              lines.add(line);
            });
    String report = String.join("\n", lines);
    assertEquals(Nemesis.values().length * 3, results.size(), report);
    for (ChaosRun.Result result : results) {
      assertTrue(
          result.check().valid(),
          result.line() + "\n" + result.check().violations() + "\n" + report);
      assertTrue(result.check().ok() > 0, "no operation succeeded: " + result.line());
    }
    for (ChaosRun.Result result : results) {
      if (result.nemesis() == Nemesis.PARTITION) {
        for (String exit : result.fault().faultedExits()) {
          assertTrue(
              exit.endsWith(":1"), "the cut-off minority must be downed and exit with 1: " + exit);
        }
        for (String exit : result.fault().survivorExits()) {
          assertTrue(exit.endsWith(":null"), "the majority must keep running: " + exit);
        }
      }
      if (result.nemesis() == Nemesis.ROLLING_RESTART) {
        for (String exit : result.fault().faultedExits()) {
          assertTrue(exit.endsWith(":0"), "a SIGTERMed node leaves gracefully with 0: " + exit);
        }
      }
    }
  }
}
