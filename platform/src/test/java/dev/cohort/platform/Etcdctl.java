package dev.cohort.platform;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code etcdctl} (etcd-client 3.4, API v3) against one endpoint: finished commands
 * with their output, and long-running ones ({@code watch}, {@code lock}, {@code elect}) whose
 * output lines a test reads as they come, with a deadline. Tests that use it are skipped with a
 * message where etcdctl is not installed ({@code .ci/run} installs it).
 */
final class Etcdctl {
  private static final Path BINARY = Path.of("/usr/bin/etcdctl");
  private final String endpoint;

  Etcdctl(String endpoint) {
    this.endpoint = endpoint;
  }

  static void assumeInstalled() {
    assumeTrue(
        Files.isExecutable(BINARY), "etcdctl is not installed (apt-get install etcd-client)");
  }

  /** A finished command. */
  record Result(int exit, String out, String err) {}

  Result run(String stdin, String... args) throws IOException, InterruptedException {
    Process p = start(args);
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("etcdctl " + String.join(" ", args) + " did not finish in 30 s");
    }
    return new Result(
        p.exitValue(),
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  /** Runs and expects success; the standard output. */
  String ok(String... args) throws IOException, InterruptedException {
    Result r = run(null, args);
    if (r.exit() != 0) {
      throw new AssertionError(
          "etcdctl " + String.join(" ", args) + " failed (" + r.exit() + "): " + r.err() + r.out());
    }
    return r.out();
  }

  Process start(String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                BINARY.toString(),
                "--endpoints=" + endpoint,
                "--dial-timeout=5s",
                "--command-timeout=20s"));
    command.addAll(List.of(args));
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().put("ETCDCTL_API", "3");
    return b.start();
  }

  /** A long-running etcdctl whose output lines are read as they come. */
  final class Running implements AutoCloseable {
    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Running(String... args) throws IOException {
      process = start(args);
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  lines.add("<read failed: " + e + ">");
                }
              },
              "etcdctl-reader");
      reader.setDaemon(true);
      reader.start();
    }

    /** The next output line, or null when none came within {@code deadline}. */
    String next(Duration deadline) throws InterruptedException {
      return lines.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The next {@code n} lines; fails when they do not come within 20 s. */
    List<String> lines(int n) throws InterruptedException {
      List<String> out = new ArrayList<>();
      long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (out.size() < n) {
        String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError(
              "expected " + n + " lines, got " + out + "; stderr: " + stderr());
        }
        out.add(line);
      }
      return out;
    }

    private String stderr() {
      try {
        return process.isAlive()
            ? "(running)"
            : new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return e.toString();
      }
    }

    /** Interrupts it as Ctrl-C would (etcdctl then resigns or unlocks) and waits for the exit. */
    void interrupt() throws InterruptedException, IOException {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }

    /** Kills it (SIGKILL): its session's lease is not revoked and must expire. */
    void kill() throws InterruptedException {
      process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }
}
