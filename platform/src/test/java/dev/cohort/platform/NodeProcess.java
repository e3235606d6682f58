package dev.cohort.platform;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A node started as a real process through the {@code ./cohort run} launcher, on free ports. The
 * launcher runs with {@code COHORT_SKIP_BUILD=1}: the build that runs these tests has just packaged
 * the classpath the launcher uses.
 */
final class NodeProcess implements AutoCloseable {
  private static final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final Path dataDir;
  final int httpPort;
  final int remotePort;
  final Path log;
  private final Process process;

  private NodeProcess(Path dataDir, int httpPort, int remotePort, Path log, Process process) {
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.remotePort = remotePort;
    this.log = log;
    this.process = process;
  }

  static Path repositoryRoot() {
    Path root = Path.of("").toAbsolutePath().getParent();
    if (!Files.isExecutable(root.resolve("cohort"))) {
      throw new IllegalStateException("the ./cohort launcher is not at " + root);
    }
    return root;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static NodeProcess start(Path dataDir, int httpPort, int remotePort, String... extraArgs)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(repositoryRoot().resolve("cohort").toString());
    command.addAll(
        List.of(
            "run",
            "--data-dir",
            dataDir.toString(),
            "--http-port",
            Integer.toString(httpPort),
            "--etcd-port",
            "0",
            "--kafka-port",
            "0",
            "--remote-port",
            Integer.toString(remotePort)));
    command.addAll(List.of(extraArgs));
    Path log = Files.createTempFile("cohort-node-" + httpPort + "-", ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("COHORT_SKIP_BUILD", "1");
    builder.environment().put("COHORT_JAVA_OPTS", "-Xmx384m");
    return new NodeProcess(dataDir, httpPort, remotePort, log, builder.start());
  }

  /**
   * A node of a cluster on the shared PostgreSQL journal ({@code conf/cluster-node.conf}) whose
   * seed listens on {@code seedRemote}; {@code remotePort == seedRemote} starts the seed itself.
   */
  static NodeProcess startClusterNode(String name, int remotePort, int seedRemote)
      throws IOException {
    return start(
        Files.createTempDirectory(name),
        freePort(),
        remotePort,
        "--config",
        repositoryRoot().resolve("conf/cluster-node.conf").toString(),
        "--seed",
        "127.0.0.1:" + seedRemote);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(15))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> put(String path, String body) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(15))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Runs {@code ./cohort ARGS} as a client against this node; returns exit status and output. */
  CliResult cli(String stdin, String... args) throws IOException, InterruptedException {
    return cliWithEnv(java.util.Map.of(), stdin, args);
  }

  /** As {@link #cli(String, String...)}, with {@code env} added to the CLI's environment. */
  CliResult cliWithEnv(java.util.Map<String, String> env, String stdin, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(repositoryRoot().resolve("cohort").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    builder.environment().put("COHORT_SKIP_BUILD", "1");
    builder.environment().put("COHORT_ENDPOINT", "http://127.0.0.1:" + httpPort);
    Process cli = builder.start();
    if (stdin != null) {
      cli.getOutputStream().write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    cli.getOutputStream().close();
    String out =
        new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    String err =
        new String(cli.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!cli.waitFor(60, TimeUnit.SECONDS)) {
      cli.destroyForcibly();
      throw new AssertionError("cli did not finish: " + command);
    }
    return new CliResult(cli.exitValue(), out, err);
  }

  record CliResult(int exit, String out, String err) {}

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  /** Waits until {@code GET /health/ready} answers 200; fails with the node's log otherwise. */
  void awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("node exited with " + process.exitValue() + ":\n" + logText());
      }
      try {
        if (get("/health/ready").statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // the gateway is not bound yet: poll again
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
    throw new AssertionError("node not ready within " + timeout + ":\n" + logText());
  }

  /** Sends SIGTERM and returns the exit status, or fails if the node does not exit in time. */
  int terminate(Duration timeout) throws InterruptedException, IOException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "node did not exit within " + timeout + " of SIGTERM:\n" + logText());
    }
    return process.exitValue();
  }

  /** Waits for the process to end by itself (a failpoint halts it); returns its exit status. */
  int awaitExit(Duration timeout) throws InterruptedException, IOException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node still running after " + timeout + ":\n" + logText());
    }
    return process.exitValue();
  }

  /** SIGKILL: the process dies without any shutdown. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  String logText() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
