package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The distribution as an operator gets it: {@code ./cohort dist} builds the tarball from the
 * packaged classpath, the test unpacks it outside the source tree and runs a node and the CLI from
 * it with an environment that holds nothing but the JDK (an empty {@code PATH}: no Maven, no
 * tools), then stops the node with SIGTERM.
 */
@Tag("integration")
class DistributionTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final Pattern GATEWAY = Pattern.compile("gateway: http://127\\.0\\.0\\.1:(\\d+)");
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void tarballRunsANodeAndTheCliWithOnlyAJdk() throws Exception {
    Path work = Files.createTempDirectory("cohort-dist");
    try {
      unpackAndRun(work);
    } finally {
      TestFiles.deleteTree(work);
    }
  }

  private static void unpackAndRun(Path work) throws Exception {
    String version = ConfigFactory.load().getString("cohort.observability.version");
    Path tarball = buildDistribution(work.resolve("out"));
    assertEquals("cohort-" + version + ".tar.gz", tarball.getFileName().toString());

    Path unpacked = Files.createDirectories(work.resolve("opt"));
    assertEquals(0, run(List.of("tar", "xzf", tarball.toString(), "-C", unpacked.toString())));
    Path home = unpacked.resolve("cohort-" + version);
    assertTrue(Files.isExecutable(home.resolve("bin/cohort")), "bin/cohort");
    assertTrue(Files.isRegularFile(home.resolve("lib/cohort-platform.jar")), "lib/");
    assertTrue(Files.isRegularFile(home.resolve("conf/single-node.conf")), "conf/");
    assertTrue(Files.isRegularFile(home.resolve("README.md")), "README.md");

    Path log = work.resolve("node.log");
    ProcessBuilder node =
        jdkOnly(
                home,
                work,
                "run",
                "--config",
                home.resolve("conf/single-node.conf").toString(),
                "--data-dir",
                work.resolve("data").toString(),
                "--http-port",
                "0",
                "--etcd-port",
                "0",
                "--kafka-port",
                "0",
                "--remote-port",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Process process = node.start();
    try {
      int port = awaitGatewayPort(process, log);
      String endpoint = "http://127.0.0.1:" + port;
      awaitReady(endpoint, process, log);

      Cli put =
          cli(home, work, "kv", "put", "greeting", "from-the-tarball", "--endpoint", endpoint);
      assertEquals(0, put.exit(), put.toString());
      Cli get = cli(home, work, "kv", "get", "greeting", "--endpoint", endpoint);
      assertEquals(0, get.exit(), get.toString());
      assertTrue(get.out().contains("from-the-tarball"), get.toString());
      String stored = send(endpoint + "/v1/kv/default/keys/greeting").body();
      assertEquals(
          "from-the-tarball",
          new ObjectMapper().readTree(stored).path("kv").path("value").asText(),
          stored);

      process.destroy();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "node did not stop on SIGTERM");
      assertEquals(0, process.exitValue(), Files.readString(log));
    } finally {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Runs {@code ./cohort dist} on the classpath this build packaged, into {@code out}. */
  private static Path buildDistribution(Path out) throws IOException, InterruptedException {
    ProcessBuilder dist =
        new ProcessBuilder(NodeProcess.repositoryRoot().resolve("cohort").toString(), "dist")
            .redirectErrorStream(true);
    dist.environment().put("COHORT_SKIP_BUILD", "1");
    dist.environment().put("COHORT_DIST_DIR", out.toString());
    Process process = dist.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "cohort dist did not finish");
    assertEquals(0, process.exitValue(), output);
    try (var files = Files.list(out)) {
      List<Path> tarballs = files.filter(p -> p.toString().endsWith(".tar.gz")).toList();
      assertEquals(1, tarballs.size(), output);
      return tarballs.getFirst();
    }
  }

  /**
   * {@code bin/cohort ARGS} run by bash with an empty environment but the JDK's location: {@code
   * PATH} names an empty folder, so neither Maven nor any other tool can be found.
   */
  private static ProcessBuilder jdkOnly(Path home, Path work, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(List.of("/bin/bash", home.resolve("bin/cohort").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", Files.createDirectories(work.resolve("empty-path")).toString());
    env.put("COHORT_JAVA_HOME", System.getProperty("java.home"));
    env.put("COHORT_JAVA_OPTS", "-Xmx384m");
    return builder;
  }

  private record Cli(int exit, String out) {}

  private static Cli cli(Path home, Path work, String... args)
      throws IOException, InterruptedException {
    Process process = jdkOnly(home, work, args).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "cli did not finish: " + List.of(args));
    return new Cli(process.exitValue(), out);
  }

  private static int awaitGatewayPort(Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = GATEWAY.matcher(Files.readString(log));
      if (matcher.find()) {
        return Integer.parseInt(matcher.group(1));
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "node exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
    throw new AssertionError("the node printed no gateway address:\n" + Files.readString(log));
  }

  private static void awaitReady(String endpoint, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited:\n" + Files.readString(log));
      }
      if (send(endpoint + "/health/ready").statusCode() == 200) {
        return;
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
    throw new AssertionError("node not ready:\n" + Files.readString(log));
  }

  private static HttpResponse<String> send(String uri) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).inheritIO().start();
    return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }
}
