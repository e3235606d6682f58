package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus files pass Prometheus' own checks: {@code conf/prometheus.yml} (with the
 * rule file it loads) is valid, and every rule of {@code conf/prometheus/alerts.yml} fires and
 * stays silent as its unit tests in {@code alerts_test.yml} say. Needs {@code promtool} (Debian's
 * {@code prometheus} package, which .ci/run installs).
 */
class AlertRulesTest {

  private static String promtool(String... args) throws IOException, InterruptedException {
    Path conf = NodeProcess.repositoryRoot().resolve("conf");
    List<String> command = new java.util.ArrayList<>(List.of(promtoolBinary()));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(conf.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool did not finish: " + command);
    }
    assertEquals(0, process.exitValue(), String.join(" ", command) + "\n" + output);
    return output;
  }

  static String promtoolBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (java.nio.file.Files.isExecutable(Path.of(dir, "promtool"))) {
        return Path.of(dir, "promtool").toString();
      }
    }
    throw new AssertionError(
        "promtool not found on PATH: install Debian's prometheus package (apt-get install -y"
            + " prometheus), as .ci/run does");
  }

  @Test
  void scrapeConfigAndRuleFileAreValid() throws Exception {
    promtool("check", "config", "prometheus.yml");
    promtool("check", "rules", "prometheus/alerts.yml");
  }

  @Test
  void everyRuleFiresAndStaysSilentAsItsUnitTestsSay() throws Exception {
    promtool("test", "rules", "prometheus/alerts_test.yml");
  }
}
