package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cohort.training.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code ResumesAfterSigkill}: a node process runs a two-worker training job on a dataset in a
 * topic; once the job has a committed checkpoint the process is SIGKILLed (coordinator, workers and
 * their in-memory replicas die with it) and started again on the same data directory. Nobody asks
 * for the job: the coordinator's waker brings it back, the job resumes from its latest checkpoint
 * (a step at or after the one committed before the kill), training goes on from the step after it,
 * and the job completes.
 */
@Tag("fault")
class TrainingProcessKillTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(60);

  private static final String JOB =
      """
      {"id":"killed","name":"killed","model":{"type":"mlp","layers":[8,32,3],"activation":"relu"},
       "dataset":{"topic":"synthetic"},"workers":{"min":1,"max":2},"backend":"ring",
       "epochs":40,"batchSize":16,"optimizer":{"type":"adam","lr":0.005},"seed":5,
       "checkpointEverySteps":20,"bucketCapMb":1}
      """;

  @Test
  void jobResumesFromItsCheckpointAfterTheNodeIsSigkilled() throws Exception {
    Path data = Files.createTempDirectory("cohort-kill-training");
    Path config = Files.createTempFile("cohort-kill-training-", ".conf");
    Files.writeString(
        config,
        """
        cohort.training.coordinator.max-loss-points = 100000
        cohort.training.coordinator.wake-interval = 500ms
        cohort.training.recovery.prefer-replicas = off
        """);
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    long checkpointBeforeKill;
    try (NodeProcess node = NodeProcess.start(data, http, remote, "--config", config.toString())) {
      node.awaitReady(READY);
      assertEquals(
          201,
          node.post("/v1/topics", "{\"name\":\"synthetic\",\"partitions\":2}").statusCode(),
          node.logText());
      List<byte[]> records = SyntheticDataset.records(1024, 8, 3, 11);
      for (int start = 0; start < records.size(); start += 256) {
        StringBuilder body = new StringBuilder("{\"acks\":\"all\",\"records\":[");
        for (int i = start; i < start + 256; i++) {
          body.append(i == start ? "" : ",")
              .append("{\"valueBase64\":\"")
              .append(Base64.getEncoder().encodeToString(records.get(i)))
              .append("\"}");
        }
        var produced = node.post("/v1/topics/synthetic/records", body.append("]}").toString());
        assertEquals(200, produced.statusCode(), produced.body());
      }
      var submitted = node.post("/v1/training/jobs", JOB);
      assertEquals(201, submitted.statusCode(), submitted.body());

      JsonNode running =
          awaitJob(
              node,
              Duration.ofSeconds(120),
              s ->
                  s.get("state").asText().equals("RUNNING")
                      && s.path("checkpoint").path("step").asLong() >= 20);
      node.kill();
      checkpointBeforeKill = running.get("checkpoint").get("step").asLong();
      assertTrue(
          running.get("step").asLong() < 40 * 32L,
          "the kill must come before the job's last step: " + running);
    }
    try (NodeProcess again = NodeProcess.start(data, http, remote, "--config", config.toString())) {
      again.awaitReady(READY);
      JsonNode done =
          awaitJob(
              again,
              Duration.ofSeconds(240),
              s -> List.of("COMPLETED", "FAILED", "CANCELLED").contains(s.get("state").asText()));
      assertEquals("COMPLETED", done.get("state").asText(), done.toString());
      JsonNode recovery = null;
      for (JsonNode r : done.get("recoveries")) {
        if (r.get("resumedFrom").asText().equals("checkpoint")) {
          recovery = r;
        }
      }
      assertTrue(
          recovery != null,
          "ResumesAfterSigkill: no recovery from a checkpoint in " + done.get("recoveries"));
      long resumedFrom = recovery.get("resumedFromStep").asLong();
      assertTrue(
          resumedFrom >= checkpointBeforeKill,
          "ResumesAfterSigkill: resumed from step "
              + resumedFrom
              + ", but step "
              + checkpointBeforeKill
              + " was checkpointed before the kill");
      boolean continued = false;
      for (JsonNode p : done.get("losses")) {
        continued |= p.get("step").asLong() == resumedFrom + 1;
      }
      assertTrue(
          continued, "ResumesAfterSigkill: training went on from the step after the checkpoint");
      assertTrue(done.get("step").asLong() > resumedFrom, done.toString());
      System.out.printf(
          "training kill: SIGKILL with step %d checkpointed, resumed from step %d,"
              + " completed at step %d%n",
          checkpointBeforeKill, resumedFrom, done.get("step").asLong());
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  private static JsonNode awaitJob(NodeProcess node, Duration max, Predicate<JsonNode> condition)
      throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      var response = node.get("/v1/training/jobs/killed");
      JsonNode status = response.statusCode() == 200 ? json.readTree(response.body()) : null;
      if (status != null && condition.test(status)) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "job not as expected within "
                + max
                + ": "
                + response.statusCode()
                + " "
                + response.body()
                + "\n"
                + node.logText());
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }
}
