package dev.cohort.training.collective;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Invariant {@code NoHangOnPeerLoss} with real process death: rank 1 runs in its own JVM and is
 * killed with SIGKILL while the two ranks allreduce; rank 0 (this JVM) must fail with a {@link
 * CollectiveException} within the collective timeout.
 */
@Tag("fault")
class RingProcessDeathTest {
  static final Duration TIMEOUT = Duration.ofSeconds(3);
  static final long BUFFER_BYTES = 32L << 20;

  @Test
  void killedPeerProcessFailsTheSurvivorWithinTheTimeout() throws Exception {
    TrainingSettings settings =
        TrainingSettings.create(ConfigFactory.load()).withCollectiveTimeout(TIMEOUT);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process peer =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                RingPeerProcess.class.getName(),
                Long.toString(BUFFER_BYTES))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (Arena arena = Arena.ofShared()) {
      BufferedReader out = new BufferedReader(new InputStreamReader(peer.getInputStream()));
      String address = readLine(out, "ADDRESS ").substring("ADDRESS ".length());
      RingEndpoint endpoint = RingEndpoint.bind(settings);
      List<String> peers = List.of(endpoint.address(), address);
      PrintWriter in = new PrintWriter(peer.getOutputStream(), true);
      in.println("99 1 " + String.join(",", peers));
      try (Communicator comm = endpoint.join(new RingRendezvous(99, 0, peers))) {
        MemorySegment buffer = arena.allocate(BUFFER_BYTES, 64);
        var first = comm.allReduce(buffer, ReduceOp.SUM).toCompletableFuture();
        readLine(out, "RUNNING");
        long killedAt = System.nanoTime();
        peer.destroyForcibly(); // SIGKILL: no close, no FIN from the application
        CompletionException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                CompletionException.class,
                () -> {
                  first.join();
                  // The first allreduce may have finished before the kill; keep going until one
                  // fails.
                  while (true) {
                    comm.allReduce(buffer, ReduceOp.SUM)
                        .toCompletableFuture()
                        .orTimeout(TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS)
                        .join();
                  }
                });
        long elapsedMs = (System.nanoTime() - killedAt) / 1_000_000;
        CollectiveException cause =
            assertInstanceOf(
                CollectiveException.class, e.getCause(), () -> "cause " + e.getCause());
        assertTrue(
            cause.code().equals("peer_failed") || cause.code().equals("collective_timeout"),
            cause.getMessage());
        assertTrue(
            elapsedMs < TIMEOUT.toMillis() + 3_000,
            "survivor failed " + elapsedMs + " ms after the kill");
      }
    } finally {
      peer.destroyForcibly();
      peer.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The child's next line starting with {@code prefix}, waiting at most 60 s for it. */
  private static String readLine(BufferedReader out, String prefix) throws Exception {
    return java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.startsWith(prefix)) {
                    return line;
                  }
                }
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              throw new AssertionError("peer process exited before printing " + prefix);
            },
            Thread::startVirtualThread)
        .get(60, TimeUnit.SECONDS);
  }
}
