package dev.cohort.saga;

import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.testkit.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Real process death: a node JVM on the H2 journal is SIGKILLed while a saga's step is in flight at
 * the participant; a node started on the same data directory finishes the saga by itself, and the
 * participant saw each step's effect once (the re-run carried the same idempotency key).
 */
@Tag("fault")
class SigkillTest {

  @Test
  void aSagaWhoseNodeIsKilledMidStepCompletesOnTheRestartedNode() throws Exception {
    Path dir = Files.createTempDirectory("cohort-saga-kill");
    try (Participant participant = new Participant()) {
      String definition =
          """
          {"steps":[
            {"name":"reserve",
             "action":{"http":{"method":"POST","url":"%1$s/reserve","body":{"saga":"${sagaId}"}}},
             "compensation":{"http":{"method":"POST","url":"%1$s/release"}},
             "timeoutMs":20000},
            {"name":"confirm","action":{"http":{"method":"POST","url":"%1$s/confirm"}}}
          ]}
          """
              .formatted(participant.url(""))
              .replace("\n", " ");
      participant.slowNext("/reserve", 10_000);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process node =
          new ProcessBuilder(
                  java,
                  "--sun-misc-unsafe-memory-access=allow",
                  "-Xmx384m",
                  "-cp",
                  System.getProperty("java.class.path"),
                  SagaNodeProcess.class.getName(),
                  dir.toString(),
                  definition)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try {
        BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream()));
        CompletableFuture.supplyAsync(
                () -> {
                  try {
                    String line;
                    while ((line = out.readLine()) != null && !line.startsWith("STARTED")) {
                      // logs
                    }
                    return line;
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                })
            .get(90, TimeUnit.SECONDS);
        Await.await(Duration.ofSeconds(30), () -> participant.requests("/reserve").size() == 1);
      } finally {
        node.destroyForcibly(); // SIGKILL mid-step: the attempt's outcome is never journaled
        node.waitFor(30, TimeUnit.SECONDS);
      }

      ActorTestKit restarted = H2Nodes.node(H2Nodes.config(dir));
      try {
        Sagas sagas = H2Nodes.sagas(restarted);
        Await.await(
            Duration.ofSeconds(60),
            () ->
                join(sagas.list(Optional.of("restart"), Optional.of(SagaState.COMPLETED))).stream()
                    .anyMatch(s -> s.id().equals("k-1")));
        assertEquals(SagaState.COMPLETED, join(sagas.get("k-1")).state());
        assertEquals(2, participant.requests("/reserve").size());
        assertEquals(
            1,
            participant.requests("/reserve").stream()
                .map(Participant.Request::key)
                .distinct()
                .count(),
            "one idempotency key");
        assertEquals(1, participant.effects("/reserve").size());
        assertEquals(1, participant.effects("/confirm").size());
      } finally {
        restarted.shutdownTestKit();
      }
    }
  }
}
