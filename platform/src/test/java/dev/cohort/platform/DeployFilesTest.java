package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The files of {@code deploy/}: the systemd unit parses without a warning under {@code
 * systemd-analyze verify} (skipped, saying so, where that tool is absent), and the Dockerfile
 * unpacks the tarball of this version. The Dockerfile itself is not built here: these machines have
 * no Docker daemon.
 */
class DeployFilesTest {
  private static final Path DEPLOY = NodeProcess.repositoryRoot().resolve("deploy");
  private static final String INSTALLED_LAUNCHER = "/opt/cohort/bin/cohort";

  @Test
  void systemdUnitVerifiesWithoutWarnings() throws Exception {
    Optional<Path> found =
        Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
            .map(dir -> Path.of(dir, "systemd-analyze"))
            .filter(Files::isExecutable)
            .findFirst();
    Assumptions.assumeTrue(
        found.isPresent(),
        "skipped: systemd-analyze is not installed (Debian's systemd package provides it), so"
            + " deploy/cohort.service was not verified");
    Path tool = found.get();
    String unit = Files.readString(DEPLOY.resolve("cohort.service"));
    assertTrue(unit.contains("ExecStart=" + INSTALLED_LAUNCHER + " run "), unit);
    // verify checks that ExecStart's program exists: point it at the launcher the tarball ships
    // as bin/cohort (deploy/bin/cohort), since nothing is installed in /opt here.
    Path dir = Files.createTempDirectory("cohort-unit");
    Path copy = dir.resolve("cohort.service");
    Files.writeString(
        copy, unit.replace(INSTALLED_LAUNCHER, DEPLOY.resolve("bin/cohort").toString()));

    Process verify =
        new ProcessBuilder(tool.toString(), "verify", copy.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(verify.waitFor(60, TimeUnit.SECONDS), "systemd-analyze did not finish");
    assertEquals(0, verify.exitValue(), output);
    List<String> aboutTheUnit =
        output.lines().filter(line -> line.contains("cohort.service")).toList();
    assertEquals(List.of(), aboutTheUnit, "systemd-analyze warned about the unit");
  }

  @Test
  void dockerfileUnpacksTheTarballOfThisVersion() throws IOException {
    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
    Matcher version = Pattern.compile("(?m)^ARG VERSION=(\\S+)$").matcher(dockerfile);
    assertTrue(version.find(), "no ARG VERSION in deploy/Dockerfile");
    assertEquals(
        ConfigFactory.load().getString("cohort.observability.version"),
        version.group(1),
        "deploy/Dockerfile's default VERSION is not the project's");
    assertTrue(dockerfile.contains("ADD cohort-${VERSION}.tar.gz /opt/"), dockerfile);
    assertTrue(dockerfile.contains("ENTRYPOINT [\"/opt/cohort/bin/cohort\"]"), dockerfile);
  }
}
