package dev.cohort.bench.chaos;

import java.io.IOException;
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

/**
 * One Cohort node as a real process ({@code ./cohort run}) on its own loopback address
 * (127.0.0.{index+1}), with fixed ports so that it restarts on the same address and data. Owns the
 * signals the nemeses send: SIGKILL, SIGSTOP/SIGCONT, SIGTERM.
 */
public final class ChaosNode {
  private final int index;
  private final String host;
  private final int httpPort;
  private final int remotePort;
  private final Path dataDir;
  private final Path config;
  private final Path launcher;
  private final List<String> seeds;
  private final List<Path> logs = new ArrayList<>();
  private Process process;

  ChaosNode(
      int index,
      int httpPort,
      int remotePort,
      Path dataDir,
      Path config,
      Path launcher,
      List<String> seeds) {
    this.index = index;
    this.host = "127.0.0." + (index + 1);
    this.httpPort = httpPort;
    this.remotePort = remotePort;
    this.dataDir = dataDir;
    this.config = config;
    this.launcher = launcher;
    this.seeds = List.copyOf(seeds);
  }

  public int index() {
    return index;
  }

  public String host() {
    return host;
  }

  public int remotePort() {
    return remotePort;
  }

  public URI gateway() {
    return URI.create("http://" + host + ":" + httpPort);
  }

  public String name() {
    return "n" + (index + 1);
  }

  /** Starts (or restarts) the process on the same address, ports and data directory. */
  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name() + " is still running");
    }
    List<String> command =
        new ArrayList<>(
            List.of(
                launcher.toString(),
                "run",
                "--config",
                config.toString(),
                "--data-dir",
                dataDir.toString(),
                "--host",
                host,
                "--http-port",
                Integer.toString(httpPort),
                "--etcd-port",
                "0",
                "--kafka-port",
                "0",
                "--remote-port",
                Integer.toString(remotePort)));
    for (String seed : seeds) {
      command.add("--seed");
      command.add(seed);
    }
    Path log = dataDir.resolveSibling(name() + "-" + logs.size() + ".log");
    logs.add(log);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("COHORT_SKIP_BUILD", "1");
    builder.environment().put("COHORT_JAVA_OPTS", "-Xmx384m -XX:+UseParallelGC");
    process = builder.start();
  }

  /** The JVM's pid: the launcher execs java, so it is the launched process's own. */
  synchronized long pid() {
    return process.pid();
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** The exit status, or null while running. */
  synchronized Integer exitStatus() {
    return process == null || process.isAlive() ? null : process.exitValue();
  }

  /** SIGKILL: no shutdown hook, no handoff. */
  void kill() throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  /** SIGTERM, then waits for the exit; returns the exit status. */
  int terminate(Duration timeout) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    p.destroy();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException(name() + " did not exit within " + timeout + " of SIGTERM");
    }
    return p.exitValue();
  }

  /** Waits for the process to end by itself; null when it is still running at the deadline. */
  Integer awaitExit(Duration timeout) throws InterruptedException {
    Process p;
    synchronized (this) {
      p = process;
    }
    return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : null;
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + name + " " + pid() + " failed");
    }
  }

  /** Whether {@code /health/ready} answers 200 now. */
  boolean ready(HttpClient http) {
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(gateway().resolve("/health/ready"))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The end of the current log, for failure messages. */
  String logTail() {
    if (logs.isEmpty()) {
      return "";
    }
    try {
      String text = Files.readString(logs.getLast());
      return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** Every log line of every incarnation that contains {@code text}. */
  List<String> logLines(String text) throws IOException {
    List<String> lines = new ArrayList<>();
    for (Path log : logs) {
      for (String line : Files.readAllLines(log)) {
        if (line.contains(text)) {
          lines.add(line);
        }
      }
    }
    return lines;
  }
}
